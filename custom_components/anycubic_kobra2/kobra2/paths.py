"""Printer file paths: canonical form, join and parent; which file names the printer prints."""

from __future__ import annotations

from pathlib import PurePosixPath
import posixpath
from typing import Final

# The printer only lists and prints .gcode files (protocol doc §7).
GCODE_SUFFIXES: Final = (".gcode",)


def normalize_path(path: str) -> str:
    """Return a printer path in canonical form: leading slash, no trailing slash, no dot parts."""
    # Anchored at "/" first, so ".." can never climb above the storage's top folder.
    return posixpath.normpath("/" + path.replace("\\", "/")).replace("//", "/")


def join_path(folder: str, name: str) -> str:
    """Join a printer folder and a name into a path (one slash between them)."""
    return f"{folder.rstrip('/')}/{name}"


def parent_path(path: str) -> str:
    """Return the folder a printer path lives in."""
    # String work, not PurePosixPath: select options call this for every file on each write.
    return posixpath.dirname(path.rstrip("/")) or "/"


def is_gcode_name(filename: str) -> bool:
    """Return whether the printer would list and print a file of this name."""
    return filename.lower().endswith(GCODE_SUFFIXES) and bool(PurePosixPath(filename).stem)
