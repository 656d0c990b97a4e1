"""Register the `browser` marker (tests that drive a real Chromium against the demo)."""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker so `-m browser` / `-m "not browser"` select these tests."""
    config.addinivalue_line(
        "markers", "browser: drives headless Chromium against the demo (scripts/demo.py)"
    )
