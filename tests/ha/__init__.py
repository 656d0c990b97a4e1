"""Tests that run Home Assistant: the integration, its ecosystem and the reliability suite."""
