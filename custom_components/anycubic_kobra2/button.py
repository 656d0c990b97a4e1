"""Buttons of a Kobra 2: pause, resume, stop or cancel the print; print a chosen file; list files again."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import LOGGER
from .data import KobraConfigEntry, KobraData
from .entity import KobraEntity, KobraFileEntity
from .kobra2 import Command, Storage, commands

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class KobraButtonEntityDescription(ButtonEntityDescription):
    """A Kobra 2 action: the command it sends and when it makes sense."""

    command_fn: Callable[[str], Command]
    available_fn: Callable[[KobraData], bool]


BUTTONS: tuple[KobraButtonEntityDescription, ...] = (
    KobraButtonEntityDescription(
        key="pause",
        translation_key="pause",
        command_fn=commands.pause_print,
        available_fn=lambda data: data.state.can_pause,
    ),
    KobraButtonEntityDescription(
        key="resume",
        translation_key="resume",
        command_fn=commands.resume_print,
        available_fn=lambda data: data.state.can_resume,
    ),
    KobraButtonEntityDescription(
        key="stop",
        translation_key="stop",
        command_fn=commands.stop_print,
        available_fn=lambda data: data.state.can_stop,
    ),
    KobraButtonEntityDescription(
        key="cancel",
        translation_key="cancel",
        command_fn=commands.cancel_print,
        available_fn=lambda data: data.state.can_stop,
    ),
)


@dataclass(frozen=True, kw_only=True)
class KobraFileButtonEntityDescription(ButtonEntityDescription):
    """A print button: which storage's selected file it prints."""

    storage: Storage


PRINT_BUTTONS: tuple[KobraFileButtonEntityDescription, ...] = (
    KobraFileButtonEntityDescription(
        key="print_local_file", translation_key="print_local_file", storage=Storage.LOCAL
    ),
    KobraFileButtonEntityDescription(
        key="print_usb_file", translation_key="print_usb_file", storage=Storage.USB
    ),
)

REFRESH_BUTTON = ButtonEntityDescription(
    key="refresh_files", translation_key="refresh_files", entity_category=EntityCategory.DIAGNOSTIC
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: KobraConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the buttons of a printer."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(KobraButtonEntity(coordinator, description) for description in BUTTONS)
    files = entry.runtime_data.files
    file_buttons: list[ButtonEntity] = [
        KobraPrintFileButton(coordinator, files, description) for description in PRINT_BUTTONS
    ]
    file_buttons.append(KobraRefreshFilesButton(coordinator, files, REFRESH_BUTTON))
    async_add_entities(file_buttons)


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
            self.entity_description.command_fn(self.coordinator.state.command_taskid)
        )


class KobraPrintFileButton(KobraFileEntity, ButtonEntity):
    """Prints the file chosen in the storage's select."""

    entity_description: KobraFileButtonEntityDescription

    async def async_press(self) -> None:
        """Start the print."""
        await self._browser.async_print_selected(self.entity_description.storage)


class KobraRefreshFilesButton(KobraFileEntity, ButtonEntity):
    """Reads both storages' listings again."""

    async def async_press(self) -> None:
        """List the current folder of both storages."""
        LOGGER.debug("Refreshing the file lists of %s", self.coordinator.name)
        await self._browser.async_refresh()
