"""Shared test helpers: real MQTT brokers, a private PKI and their pytest fixtures."""
