"""The README's commands as typed."""
