"""Smoke test of the benchmark harness (scripts/bench)."""
