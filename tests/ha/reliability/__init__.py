"""Reliability and security suite: faults injected into real brokers (reliability.md §6)."""
