"""Job image of a Kobra 2: the thumbnail the slicer embedded in a file printed through Home Assistant."""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.image import ImageEntity, ImageEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import KobraCoordinator
from .data import KobraConfigEntry
from .entity import KobraEntity
from .insight import JobInsight
from .kobra2.gcode import Thumbnail

PARALLEL_UPDATES = 0

DESCRIPTION = ImageEntityDescription(key="job_image", translation_key="job_image")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: KobraConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the printer's job image."""
    runtime = entry.runtime_data
    async_add_entities([KobraJobImage(hass, runtime.coordinator, runtime.insight)])


class KobraJobImage(KobraEntity, ImageEntity):
    """The running job's thumbnail; no image (state unknown) when its file had none."""

    # The picture is Home Assistant's copy: it stays while only the printer is away.
    _requires_printer = False

    def __init__(
        self, hass: HomeAssistant, coordinator: KobraCoordinator, insight: JobInsight
    ) -> None:
        """Bind the image to the printer and its insight."""
        KobraEntity.__init__(self, coordinator, DESCRIPTION)
        ImageEntity.__init__(self, hass)
        self._insight = insight
        self._shown: Thumbnail | None = None
        self._follow()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Switch pictures when the job changes; a new picture gets a new access token."""
        if self._follow():
            self.async_update_token()
        super()._handle_coordinator_update()

    def _follow(self) -> bool:
        """Take the insight's current picture; return True when it changed."""
        thumbnail = self._insight.thumbnail
        if thumbnail is self._shown:
            return False
        self._shown = thumbnail
        current = self._insight.current
        updated: datetime | None = None
        if thumbnail is not None and current is not None:
            updated = current.image_updated
            self._attr_content_type = thumbnail.content_type
        self._attr_image_last_updated = updated
        return True

    async def async_image(self) -> bytes | None:
        """Return the picture's bytes (held in memory, nothing to fetch)."""
        return self._shown.data if self._shown is not None else None

    def _write_key(self) -> tuple[object, ...]:
        """Return what the state is made of: the picture's time and its access token."""
        return (self.image_last_updated, self.access_tokens[-1])
