"""Tests of the kobra2 protocol package."""
