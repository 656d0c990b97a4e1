"""A pytest plugin (-p scripts.failed_tests) that writes the node ids of failed tests to $KOBRA2_FAILED_TESTS.

scripts/test runs the suite once under coverage; a test that failed there is run again without it, since
coverage's tracing slows Python enough to change what timing-sensitive tests see.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_failed: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember each test whose setup, call or teardown failed."""
    if report.failed and report.nodeid not in _failed:
        _failed.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the ids, one a line (an empty file when none failed)."""
    del session
    if target := os.environ.get("KOBRA2_FAILED_TESTS"):
        Path(target).write_text("".join(f"{nodeid}\n" for nodeid in _failed), encoding="utf-8")
