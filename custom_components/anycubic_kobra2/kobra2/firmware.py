"""Firmware facts: over-the-air update states and progress, the download-domain check of 3.1.x."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

# `ota/update` report states while an update runs; anything else (e.g. "failed") ends it.
OTA_ACTIVE_STATES: Final = frozenset({"start", "downloading", "updating"})

# Firmware 3.1.0 and later only download from hosts under these domains (the community
# patch blanks the list); see the protocol notes, section 1.1.
URL_CHECK_FROM: Final = (3, 1, 0)
URL_CHECK_DOMAINS: Final = ("myqcloud.com", "amazonaws.com", "anycubic.com", "anycubicloud.com")
_VERSION_RE = re.compile(r"^\s*(\d+)\.(\d+)\.(\d+)")


def ota_active(state: str | None) -> bool:
    """Return whether an `ota/update` state means the update still runs."""
    return state in OTA_ACTIVE_STATES


def ota_percentage(state: str | None, progress: int | None) -> int | None:
    """Return an update's overall progress: download is the first half, install the second."""
    if state is None:
        return None
    progress = progress or 0
    if state == "updating":
        return 50 + progress // 2
    if state == "downloading":
        return progress // 2
    return 0


def firmware_checks_url(version: str | None) -> bool:
    """Return whether a firmware version checks the domain of download URLs (3.1.0+)."""
    if version is None or (match := _VERSION_RE.match(version)) is None:
        return False
    return tuple(int(part) for part in match.groups()) >= URL_CHECK_FROM


def host_passes_url_check(url: str) -> bool:
    """Return whether stock 3.1.x firmware would accept the URL's host."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return any(host == domain or host.endswith(f".{domain}") for domain in URL_CHECK_DOMAINS)
