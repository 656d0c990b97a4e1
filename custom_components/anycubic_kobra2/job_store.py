"""What the job insight keeps in Home Assistant's storage: totals, last print, running job."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from homeassistant.util import dt as dt_util

from .const import LOGGER
from .kobra2.gcode import GcodeInfo, Thumbnail


@dataclass(slots=True)
class Totals:
    """Lifetime counts of the printer as Home Assistant saw them."""

    finished: int = 0
    failed: int = 0
    stopped: int = 0
    print_time_s: float = 0.0
    filament_mm: float = 0.0


@dataclass(slots=True)
class LastPrint:
    """The outcome of the most recent job."""

    file_name: str | None
    outcome: str
    duration_s: float | None
    filament_mm: float | None
    ended_at: str


@dataclass(slots=True)
class CurrentJob:
    """The running job's slicer summary (only for files that passed through Home Assistant)."""

    key: str
    info: GcodeInfo
    image_updated: datetime = field(default_factory=dt_util.utcnow)


def current_to_store(current: CurrentJob | None) -> dict[str, Any] | None:
    """Return the running job's summary as JSON-safe data."""
    if current is None:
        return None
    info = current.info
    thumb = info.thumbnail
    return {
        "key": current.key,
        "slicer": info.slicer,
        "print_time_s": info.print_time_s,
        "total_layers": info.total_layers,
        "filament_mm": info.filament_mm,
        "image_updated": current.image_updated.isoformat(),
        "thumbnail": None
        if thumb is None
        else {
            "content_type": thumb.content_type,
            "width": thumb.width,
            "height": thumb.height,
            "data": base64.b64encode(thumb.data).decode(),
        },
    }


def current_from_store(data: Any) -> CurrentJob | None:
    """Return the stored summary of the running job (None if absent or damaged)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("key"), str):
        return None
    thumbnail = None
    try:
        if isinstance(thumb := data.get("thumbnail"), Mapping):
            thumbnail = Thumbnail(
                str(thumb["content_type"]),
                int(thumb["width"]),
                int(thumb["height"]),
                base64.b64decode(thumb["data"], validate=True),
            )
        info = GcodeInfo(
            slicer=data.get("slicer"),
            print_time_s=data.get("print_time_s"),
            total_layers=data.get("total_layers"),
            filament_mm=data.get("filament_mm"),
            thumbnail=thumbnail,
        )
        updated = dt_util.parse_datetime(str(data.get("image_updated"))) or dt_util.utcnow()
    except (KeyError, TypeError, ValueError, binascii.Error):
        LOGGER.warning("Ignoring the damaged job summary in storage")
        return None
    return CurrentJob(data["key"], info, updated)
