"""Tests for the anycubic_kobra2 integration."""
