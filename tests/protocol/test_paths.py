"""Printer path rules and the G-code name rule (no Home Assistant)."""

from __future__ import annotations

import pytest

from custom_components.anycubic_kobra2.kobra2.paths import (
    is_gcode_name,
    join_path,
    normalize_path,
    parent_path,
)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("", "/"),
        ("/", "/"),
        ("cube.gcode", "/cube.gcode"),
        ("/a/b/", "/a/b"),
        ("a\\b\\c.gcode", "/a/b/c.gcode"),
        ("//a//b", "/a/b"),
        ("/a/./b/../c", "/a/c"),
        ("/../../etc/passwd", "/etc/passwd"),
    ],
)
def test_normalize_path(raw: str, normal: str) -> None:
    """Paths get one leading slash, no trailing slash and never climb above the top."""
    assert normalize_path(raw) == normal


def test_join_and_parent() -> None:
    """Joining puts exactly one slash between folder and name; parent undoes it."""
    assert join_path("/", "a.gcode") == "/a.gcode"
    assert join_path("/models", "a.gcode") == "/models/a.gcode"
    assert join_path("/models/", "a.gcode") == "/models/a.gcode"
    assert parent_path("/models/a.gcode") == "/models"
    assert parent_path("/a.gcode") == "/"
    assert parent_path(join_path("/x/y", "z")) == "/x/y"


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("cube.gcode", True),
        ("CUBE.GCODE", True),
        ("a.b.gcode", True),
        ("gcode", False),
        ("cube.bgcode", False),
        ("cube.gcode.zip", False),
        ("cube", False),
        ("", False),
    ],
)
def test_gcode_name(name: str, ok: bool) -> None:
    """Only names ending in .gcode (any case) with a stem are printable."""
    assert is_gcode_name(name) is ok
