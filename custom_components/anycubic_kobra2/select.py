"""Selects of a Kobra 2: print speed mode."""

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SPEED_MODES, KobraConfigEntry, KobraData, speed_mode_option
from .entity import KobraEntity
from .file_entities import file_selects
from .kobra2 import commands
from .kobra2.commands import Command
from .kobra2.models import SpeedMode

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class KobraSelectEntityDescription(SelectEntityDescription):
    """A Kobra 2 choice: how to read it and how to change it."""

    current_fn: Callable[[KobraData], str | None]
    command_fn: Callable[[str, str], Command]


SELECTS: tuple[KobraSelectEntityDescription, ...] = (
    KobraSelectEntityDescription(
        key="speed_mode",
        translation_key="speed_mode",
        options=SPEED_MODES,
        current_fn=lambda data: speed_mode_option(data.state),
        command_fn=lambda taskid, option: commands.update_settings(
            taskid, speed_mode=SpeedMode[option.upper()]
        ),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: KobraConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the selects of a printer."""
    coordinator = entry.runtime_data
    async_add_entities(KobraSelectEntity(coordinator, description) for description in SELECTS)
    async_add_entities(file_selects(coordinator))


class KobraSelectEntity(KobraEntity, SelectEntity):
    """A printer choice that can be changed."""

    entity_description: KobraSelectEntityDescription

    @property
    def current_option(self) -> str | None:
        """Return the current choice."""
        return self.entity_description.current_fn(self.coordinator.data)

    async def async_select_option(self, option: str) -> None:
        """Send the new choice; the printer's answer updates the state."""
        await self.coordinator.async_command(
            self.entity_description.command_fn(self.coordinator.command_taskid(), option)
        )
