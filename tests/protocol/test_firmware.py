"""Firmware facts: OTA states and progress, the 3.1.x download-domain check (no Home Assistant)."""

from __future__ import annotations

import pytest

from custom_components.anycubic_kobra2.kobra2.firmware import (
    firmware_checks_url,
    host_passes_url_check,
    ota_active,
    ota_percentage,
)


def test_url_check_rules() -> None:
    """Firmware 3.1.0+ checks the host; only Anycubic's and its storage domains pass."""
    assert firmware_checks_url("3.1.0")
    assert firmware_checks_url("3.1.4")
    assert firmware_checks_url("3.1.2.3")
    assert firmware_checks_url(" 4.0.0-beta")
    assert not firmware_checks_url("3.0.9")
    assert not firmware_checks_url("2.3.9")
    assert not firmware_checks_url(None)
    assert not firmware_checks_url("unknown")
    assert host_passes_url_check("https://cdn.cloud-universe.anycubic.com/a.gcode")
    assert host_passes_url_check("https://bucket.s3.amazonaws.com/a.gcode")
    assert host_passes_url_check("https://x.cos.ap-guangzhou.myqcloud.com/a.gcode")
    assert host_passes_url_check("https://ANYCUBIC.COM./a.gcode")
    assert not host_passes_url_check("http://192.168.1.10:8123/a.gcode")
    assert not host_passes_url_check("http://notanycubic.com/a.gcode")
    assert not host_passes_url_check("http://anycubic.com.evil.example/a.gcode")
    assert not host_passes_url_check("not a url")


@pytest.mark.parametrize(
    ("state", "active"),
    [("start", True), ("downloading", True), ("updating", True), ("failed", False), (None, False)],
)
def test_ota_active(state: str | None, active: bool) -> None:
    """Only start, downloading and updating mean an update still runs."""
    assert ota_active(state) is active


@pytest.mark.parametrize(
    ("state", "progress", "percentage"),
    [
        (None, None, None),
        (None, 40, None),
        ("start", None, 0),
        ("downloading", None, 0),
        ("downloading", 50, 25),
        ("downloading", 100, 50),
        ("updating", 0, 50),
        ("updating", 51, 75),
        ("updating", 100, 100),
    ],
)
def test_ota_percentage(state: str | None, progress: int | None, percentage: int | None) -> None:
    """Download fills the first half of the overall progress, install the second."""
    assert ota_percentage(state, progress) == percentage
