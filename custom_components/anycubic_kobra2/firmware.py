"""Firmware offers and update progress of a printer, kept beside its coordinator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from homeassistant.core import CALLBACK_TYPE, callback

from .kobra2 import (
    Command,
    FirmwareReport,
    OtaProgressReport,
    Report,
    commands,
    ota_active,
    ota_percentage,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class FirmwareOffer:
    """A firmware image the user announced for one printer."""

    version: str
    url: str
    md5: str
    size: int
    name: str | None = None
    release_url: str | None = None
    release_notes: str | None = None

    @property
    def file_name(self) -> str:
        """Return the image's file name: the given one, else the URL's last path segment."""
        if self.name:
            return self.name
        tail = urlsplit(self.url).path.rsplit("/", 1)[-1]
        return tail or f"firmware_{self.version}.bin"

    def command(self) -> Command:
        """Build the `ota/update` command that installs this image (ValueError if invalid)."""
        return commands.ota_update(self.url, self.md5, self.version, self.size, self.file_name)


@dataclass(slots=True)
class FirmwareTracker:
    """The printer's pending offer and the progress of a running update (a reload starts without an offer)."""

    offer: FirmwareOffer | None = None
    # The `ota/update` state and percentage of the running update; None when none runs.
    ota_state: str | None = None
    ota_progress: int | None = None
    _listeners: list[Callable[[], None]] = field(default_factory=list)

    @property
    def in_progress(self) -> bool:
        """Return whether the printer is downloading or installing firmware."""
        return self.ota_state is not None

    @property
    def percentage(self) -> int | None:
        """Return the update's overall progress: download is the first half, install the second."""
        return ota_percentage(self.ota_state, self.ota_progress)

    @callback
    def announce(self, offer: FirmwareOffer) -> None:
        """Offer a firmware image (replacing an earlier offer)."""
        self.offer = offer
        self._notify()

    @callback
    def install_started(self) -> None:
        """Mark the update as running once the printer accepted the command."""
        if self.ota_state is None:
            self.ota_state, self.ota_progress = "start", 0
            self._notify()

    @callback
    def handle_report(self, report: Report) -> None:
        """Follow `ota/update` progress; a version report ends the update (and a met offer)."""
        if isinstance(report, OtaProgressReport):
            if ota_active(report.state):
                self.ota_state, self.ota_progress = report.state, report.progress
            else:
                self.ota_state = self.ota_progress = None
            self._notify()
        elif isinstance(report, FirmwareReport):
            offer = self.offer
            if offer is not None and report.version == offer.version:
                self.offer = None
            self.ota_state = self.ota_progress = None
            self._notify()

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call listener whenever the offer or the progress changes; return the remover."""
        self._listeners.append(listener)

        @callback
        def remove() -> None:
            """Stop calling the listener."""
            self._listeners.remove(listener)

        return remove

    def _notify(self) -> None:
        """Tell the listeners (the update entity) that something changed."""
        for listener in list(self._listeners):
            listener()
