"""Compatibility between the Home Assistant versions we support (2025.4 to the newest)."""

from __future__ import annotations

from typing import TYPE_CHECKING

# Home Assistant 2026.x validates with probatio (voluptuous-compatible); 2025.x with voluptuous.
# Schemas must be built with the library that Home Assistant's own helpers expect.
if TYPE_CHECKING:
    try:
        import probatio as vol
    except ImportError:  # pragma: no cover - only on old Home Assistant
        import voluptuous as vol  # type: ignore[no-redef]
else:
    try:
        import probatio as vol
    except ImportError:
        import voluptuous as vol

__all__ = ["vol"]
