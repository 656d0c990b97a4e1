"""Tests of the Kobra 2 printer simulator."""
