"""File names and paths that may be sent to the printer, whose firmware runs as root."""

from __future__ import annotations

import re
from typing import Final

MAX_NAME_BYTES: Final = 255
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


def safe_path_part(part: str) -> bool:
    """Return whether part can be one component of a printer path (no control characters)."""
    return (
        bool(part)
        and "/" not in part
        and "\\" not in part
        and _CONTROL.search(part) is None
        and len(part.encode("utf-8", "surrogatepass")) <= MAX_NAME_BYTES
    )


def safe_file_name(name: str) -> bool:
    """Return whether name is a plain base name: no separator, control character or leading dot."""
    return safe_path_part(name) and not name.startswith(".") and name.strip() == name


def safe_path(path: str) -> bool:
    """Return whether every component of a printer path is safe (empty ones are allowed)."""
    return all(safe_path_part(part) for part in path.replace("\\", "/").split("/") if part)
