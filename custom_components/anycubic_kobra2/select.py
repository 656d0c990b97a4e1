"""Selects of a Kobra 2: print speed mode, and a file chooser per storage."""

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import KobraConfigEntry, KobraData
from .entity import KobraEntity, KobraFileEntity
from .kobra2 import SPEED_MODE_OPTIONS, Command, SpeedMode, Storage, commands

PARALLEL_UPDATES = 1

# Home Assistant refuses states longer than this; such paths cannot be offered as options.
_MAX_OPTION_LENGTH = 255


@dataclass(frozen=True, kw_only=True)
class KobraSelectEntityDescription(SelectEntityDescription):
    """A Kobra 2 choice: how to read it and how to change it."""

    current_fn: Callable[[KobraData], str | None]
    command_fn: Callable[[str, str], Command]


SELECTS: tuple[KobraSelectEntityDescription, ...] = (
    KobraSelectEntityDescription(
        key="speed_mode",
        translation_key="speed_mode",
        options=SPEED_MODE_OPTIONS,
        current_fn=lambda data: data.state.speed_mode_option,
        command_fn=lambda taskid, option: commands.update_settings(
            taskid, speed_mode=SpeedMode[option.upper()]
        ),
    ),
)


@dataclass(frozen=True, kw_only=True)
class KobraFileSelectEntityDescription(SelectEntityDescription):
    """A file select: which storage it browses."""

    storage: Storage


FILE_SELECTS: tuple[KobraFileSelectEntityDescription, ...] = (
    KobraFileSelectEntityDescription(
        key="local_file", translation_key="local_file", storage=Storage.LOCAL
    ),
    KobraFileSelectEntityDescription(
        key="usb_file", translation_key="usb_file", storage=Storage.USB
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: KobraConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the selects of a printer."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(KobraSelectEntity(coordinator, description) for description in SELECTS)
    files = entry.runtime_data.files
    async_add_entities(
        KobraFileSelect(coordinator, files, description) for description in FILE_SELECTS
    )


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
            self.entity_description.command_fn(self.coordinator.state.command_taskid, option)
        )


def folder_option(path: str) -> str:
    """Return how a folder is shown among the options: its path with a trailing slash."""
    return path if path.endswith("/") else f"{path}/"


class KobraFileSelect(KobraFileEntity, SelectEntity):
    """The files and folders of one storage; choosing a folder opens it."""

    entity_description: KobraFileSelectEntityDescription

    @property
    def _storage(self) -> Storage:
        """Return the storage this select browses."""
        return self.entity_description.storage

    @property
    def options(self) -> list[str]:
        """Return the parent folder (below the top), the subfolders, then the files."""
        folder = self._browser.folder[self._storage]
        options: list[str] = []
        if folder != "/":
            options.append(folder_option(folder.rsplit("/", 1)[0] or "/"))
        entries = self._browser.entries(self._storage)
        options.extend(folder_option(entry.path) for entry in entries if entry.is_dir)
        options.extend(entry.path for entry in entries if not entry.is_dir)
        return [option for option in options if len(option) <= _MAX_OPTION_LENGTH]

    @property
    def current_option(self) -> str | None:
        """Return the chosen file."""
        return self._browser.selected[self._storage]

    async def async_select_option(self, option: str) -> None:
        """Choose a file, or open a folder."""
        if option.endswith("/"):
            self._browser.selected[self._storage] = None
            await self._browser.async_list(self._storage, option)
            return
        self._browser.selected[self._storage] = option
        self.async_write_ha_state()
