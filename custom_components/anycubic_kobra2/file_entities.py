"""File entities of a Kobra 2: a file select per storage, a print button per storage, a refresh button."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory

from .const import LOGGER
from .coordinator import KobraCoordinator
from .entity import KobraEntity
from .kobra2.models import Storage
from .printing import FileBrowser, async_get_browser

# Home Assistant refuses states longer than this; such paths cannot be offered as options.
_MAX_OPTION_LENGTH = 255


@dataclass(frozen=True, kw_only=True)
class KobraFileSelectEntityDescription(SelectEntityDescription):
    """A file select: which storage it browses."""

    storage: Storage


@dataclass(frozen=True, kw_only=True)
class KobraFileButtonEntityDescription(ButtonEntityDescription):
    """A print button: which storage's selected file it prints."""

    storage: Storage


FILE_SELECTS: tuple[KobraFileSelectEntityDescription, ...] = (
    KobraFileSelectEntityDescription(
        key="local_file", translation_key="local_file", storage=Storage.LOCAL
    ),
    KobraFileSelectEntityDescription(
        key="usb_file", translation_key="usb_file", storage=Storage.USB
    ),
)

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


def folder_option(path: str) -> str:
    """Return how a folder is shown among the options: its path with a trailing slash."""
    return path if path.endswith("/") else f"{path}/"


def file_selects(coordinator: KobraCoordinator) -> list[KobraFileSelect]:
    """Return the file selects of a printer (for select.py)."""
    browser = async_get_browser(coordinator)
    return [KobraFileSelect(coordinator, browser, description) for description in FILE_SELECTS]


def file_buttons(coordinator: KobraCoordinator) -> list[ButtonEntity]:
    """Return the print and refresh buttons of a printer (for button.py)."""
    browser = async_get_browser(coordinator)
    buttons: list[ButtonEntity] = [
        KobraPrintFileButton(coordinator, browser, description) for description in PRINT_BUTTONS
    ]
    buttons.append(KobraRefreshFilesButton(coordinator, browser, REFRESH_BUTTON))
    return buttons


class _KobraFileEntity(KobraEntity):
    """An entity that also follows the printer's file browser."""

    def __init__(
        self,
        coordinator: KobraCoordinator,
        browser: FileBrowser,
        description: SelectEntityDescription | ButtonEntityDescription,
    ) -> None:
        """Bind the entity to the printer and its file browser."""
        super().__init__(coordinator, description)
        self._browser = browser

    async def async_added_to_hass(self) -> None:
        """Also write the state when a listing or a selection changes."""
        await super().async_added_to_hass()
        self.async_on_remove(self._browser.async_add_listener(self.async_write_ha_state))


class KobraFileSelect(_KobraFileEntity, SelectEntity):
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


class KobraPrintFileButton(_KobraFileEntity, ButtonEntity):
    """Prints the file chosen in the storage's select."""

    entity_description: KobraFileButtonEntityDescription

    async def async_press(self) -> None:
        """Start the print."""
        await self._browser.async_print_selected(self.entity_description.storage)


class KobraRefreshFilesButton(_KobraFileEntity, ButtonEntity):
    """Reads both storages' listings again."""

    async def async_press(self) -> None:
        """List the current folder of both storages."""
        LOGGER.debug("Refreshing the file lists of %s", self.coordinator.name)
        await self._browser.async_refresh()
