"""Pure unit tests of the kobra2 protocol package (no Home Assistant)."""
