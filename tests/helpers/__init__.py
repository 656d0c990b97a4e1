"""Shared test helpers: brokers, PKI, payloads, config entries, snapshots and their fixtures."""
