"""Buttons of a Kobra 2: pause, resume, stop and cancel the current print."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import KobraConfigEntry, KobraData, job_active
from .entity import KobraEntity
from .file_entities import file_buttons
from .kobra2 import commands
from .kobra2.commands import Command
from .kobra2.models import PrintPhase

PARALLEL_UPDATES = 1

PAUSABLE = frozenset({PrintPhase.PREHEATING, PrintPhase.PRINTING, PrintPhase.RESUMING})
RESUMABLE = frozenset({PrintPhase.PAUSING, PrintPhase.PAUSED})


@dataclass(frozen=True, kw_only=True)
class KobraButtonEntityDescription(ButtonEntityDescription):
    """A Kobra 2 action: the command it sends and when it makes sense."""

    command_fn: Callable[[str], Command]
    available_fn: Callable[[KobraData], bool]


def _stoppable(data: KobraData) -> bool:
    """Return whether there is a job that is not already stopping."""
    return job_active(data.state) and data.state.phase is not PrintPhase.STOPPING


BUTTONS: tuple[KobraButtonEntityDescription, ...] = (
    KobraButtonEntityDescription(
        key="pause",
        translation_key="pause",
        command_fn=commands.pause_print,
        available_fn=lambda data: data.state.phase in PAUSABLE,
    ),
    KobraButtonEntityDescription(
        key="resume",
        translation_key="resume",
        command_fn=commands.resume_print,
        available_fn=lambda data: data.state.phase in RESUMABLE,
    ),
    KobraButtonEntityDescription(
        key="stop",
        translation_key="stop",
        command_fn=commands.stop_print,
        available_fn=_stoppable,
    ),
    KobraButtonEntityDescription(
        key="cancel",
        translation_key="cancel",
        command_fn=commands.cancel_print,
        available_fn=_stoppable,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: KobraConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the buttons of a printer."""
    coordinator = entry.runtime_data
    async_add_entities(KobraButtonEntity(coordinator, description) for description in BUTTONS)
    async_add_entities(file_buttons(coordinator))


class KobraButtonEntity(KobraEntity, ButtonEntity):
    """A print job action, available only while it makes sense."""

    entity_description: KobraButtonEntityDescription

    def _write_key(self) -> tuple[Any, ...]:
        """Return nothing: a report changes only whether the button is available."""
        return ()

    @property
    def available(self) -> bool:
        """Return whether the printer is live and the action fits the job's phase."""
        return super().available and self.entity_description.available_fn(self.coordinator.data)

    async def async_press(self) -> None:
        """Send the command for the current job."""
        await self.coordinator.async_command(
            self.entity_description.command_fn(self.coordinator.command_taskid())
        )
