"""Tests of discovery, Home Assistant MQTT transport, events, repairs, blueprints and translations."""
