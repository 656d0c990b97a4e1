"""Event entity of a Kobra 2: print started, paused, resumed, finished, stopped or failed."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import LOGGER
from .coordinator import KobraCoordinator
from .data import KobraConfigEntry
from .entity import KobraEntity
from .kobra2 import (
    EVENT_TYPES,
    EVENTS_PER_MINUTE,
    PrintEventTracker,
    PrintReport,
    RateCap,
    RateLimitedWarning,
    Report,
)

PARALLEL_UPDATES = 0

DESCRIPTION = EventEntityDescription(key="print", translation_key="print", event_types=EVENT_TYPES)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: KobraConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the printer's print event entity."""
    async_add_entities([KobraPrintEvent(entry.runtime_data.coordinator)])


class KobraPrintEvent(KobraEntity, EventEntity):
    """Fires when a print starts, pauses, resumes, finishes, is stopped or fails."""

    # Events describe the job, not live values: keep the entity while only the printer
    # is away, so a returning printer does not look like a new event to automations.
    _requires_printer = False

    def __init__(self, coordinator: KobraCoordinator) -> None:
        """Bind the event entity to the printer."""
        super().__init__(coordinator, DESCRIPTION)
        state = coordinator.state
        job = state.job
        self._tracker = PrintEventTracker(
            phase=state.phase, taskid=job.taskid if job is not None else None
        )
        # A flood of fake phase changes must not run every print automation each time.
        self._cap = RateCap(EVENTS_PER_MINUTE, 60.0)
        self._warn_suppressed = RateLimitedWarning(LOGGER)

    async def async_added_to_hass(self) -> None:
        """Listen to every report, so no short-lived phase is missed."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_add_report_listener(self._handle_report))

    @callback
    def _handle_report(self, report: Report) -> None:
        """Fire the event a print report means."""
        if not isinstance(report, PrintReport):
            return
        state = self.coordinator.state
        # The phase as the state took it: a refused command is no outcome of the running job.
        event = self._tracker.feed(state.phase if report.phase else None, state.job)
        if event is not None:
            if not self._cap.take():
                self._warn_suppressed(
                    "Printer %s reports more than %d print events a minute; "
                    "not firing %s and further ones until it calms down",
                    self.coordinator.name,
                    EVENTS_PER_MINUTE,
                    event.event_type,
                )
                return
            self._trigger_event(event.event_type, event.attributes)
            self.async_write_ha_state()
