"""The file side of one printer: folder listings, the selected files, print and delete."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from . import sources
from .const import COMMAND_TIMEOUT, DOMAIN, LOGGER
from .coordinator import KobraCoordinator
from .file_serving import identify, unchanged
from .file_share import async_get_file_share, file_url
from .kobra2 import (
    Command,
    FileEntry,
    MachineStatus,
    OnlineReport,
    PrintPhase,
    PrintReport,
    Report,
    Storage,
    commands,
    join_path,
    normalize_path,
    parent_path,
)
from .kobra2.gcode import GcodeScanner
from .repairs import RepairMonitor

# Seconds a printer download may go without a single report before the action gives up waiting.
DOWNLOAD_IDLE_TIMEOUT: Final = 120.0


def entry_as_dict(entry: FileEntry) -> dict[str, Any]:
    """Return a file entry as JSON-friendly response data."""
    return {
        "name": entry.name,
        "path": entry.path,
        "is_dir": entry.is_dir,
        "size": entry.size,
        "modified": entry.modified.isoformat() if entry.modified is not None else None,
    }


def ensure_ready(coordinator: KobraCoordinator) -> None:
    """Raise unless a print can start now: broker up, printer live and free."""
    coordinator.ensure_live()
    state = coordinator.state
    if state.status is MachineStatus.BUSY or state.job_active:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="printer_busy",
            translation_placeholders={"state": state.print_state or "busy"},
        )


class FileBrowser:
    """The file side of one printer: folder listings, the selected files and the print actions."""

    def __init__(self, coordinator: KobraCoordinator, repairs: RepairMonitor) -> None:
        """Browse one printer's files; URL print outcomes go to its repair monitor."""
        self.coordinator = coordinator
        self._repairs = repairs
        self.hass = coordinator.hass
        # Folder last listed per storage; reports do not always say which folder they list.
        self.folder: dict[Storage, str] = dict.fromkeys(Storage, "/")
        self.selected: dict[Storage, str | None] = dict.fromkeys(Storage)
        self._listeners: list[CALLBACK_TYPE] = []
        self._was_active = False
        self._was_available = False

    # -- listings --

    def entries(self, storage: Storage) -> tuple[FileEntry, ...]:
        """Return the last listing of a storage, with paths inside the listed folder."""
        folder = self.folder[storage]
        return tuple(
            entry
            if parent_path(entry.path) == folder
            else replace(entry, path=join_path(folder, entry.name))
            for entry in self.coordinator.state.files.get(storage, ())
        )

    async def async_list(self, storage: Storage, folder: str = "/") -> tuple[FileEntry, ...]:
        """Ask the printer for one folder and return what it answered."""
        folder = normalize_path(folder)
        await self.coordinator.async_command(commands.list_files(storage, folder))
        self.folder[storage] = folder
        entries = self.entries(storage)
        if self.selected[storage] not in {entry.path for entry in entries}:
            self.selected[storage] = None
        self._notify()
        return entries

    async def async_refresh(self, storages: Iterable[Storage] = tuple(Storage)) -> None:
        """Re-read the listed folder of the storages, quietly (a USB stick may be missing)."""
        for storage in storages:
            try:
                await self.async_list(storage, self.folder[storage])
            except HomeAssistantError as err:
                LOGGER.debug("Could not list %s files: %s", storage, err)

    async def _async_find(self, storage: Storage, path: str) -> FileEntry:
        """Return the entry of path after listing its folder; raise file_not_found."""
        for entry in await self.async_list(storage, parent_path(path)):
            if entry.path == path:
                return entry
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="file_not_found",
            translation_placeholders={"path": path, "storage": storage.value},
        )

    async def _async_find_file(self, storage: Storage, path: str) -> FileEntry:
        """Return the entry of a file (not a folder) after listing its folder."""
        entry = await self._async_find(storage, path)
        if entry.is_dir:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="is_folder",
                translation_placeholders={"path": path},
            )
        return entry

    # -- actions --

    async def async_delete(self, storage: Storage, path: str) -> None:
        """Delete a file after checking it exists; confirm by listing again."""
        path = normalize_path(path)
        await self._async_find_file(storage, path)
        await self.coordinator.async_command(commands.delete_file(storage, path))
        remaining = await self.async_list(storage, parent_path(path))
        if any(item.path == path for item in remaining):
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="delete_failed",
                translation_placeholders={"path": path, "storage": storage.value},
            )

    async def async_print_file(self, storage: Storage, path: str) -> None:
        """Start printing a file that is on the printer or its USB stick."""
        ensure_ready(self.coordinator)
        path = normalize_path(path)
        entry = await self._async_find_file(storage, path)
        sources.check_gcode_name(entry.name)
        ensure_ready(self.coordinator)
        start = commands.start_local_print if storage is Storage.LOCAL else commands.start_usb_print
        await self._async_start(start(entry.name, parent_path(path)), entry.name, download=False)

    async def async_print_selected(self, storage: Storage) -> None:
        """Print the file chosen in the storage's select."""
        if (path := self.selected[storage]) is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_file_selected",
                translation_placeholders={"storage": storage.value},
            )
        await self.async_print_file(storage, path)

    async def async_print_from_url(self, url: str, filename: str | None = None) -> None:
        """Hash a URL's file, then have the printer download and print it."""
        sources.check_http_url(url)
        filename = filename or sources.url_filename(url)
        sources.check_gcode_name(filename)
        ensure_ready(self.coordinator)
        scanner = GcodeScanner()
        md5, size = await sources.async_hash_url(self.hass, url, filename, scanner=scanner)
        ensure_ready(self.coordinator)
        command = commands.start_url_print(url, md5, size, filename)
        await self._async_expect(command, scanner)
        await self._async_start_url(command, filename)

    async def async_upload_and_print(self, source: str) -> None:
        """Offer a Home Assistant file through a signed link and have the printer print it."""
        path = await sources.async_resolve_source(self.hass, source)
        sources.check_gcode_name(path.name)
        ensure_ready(self.coordinator)
        # Hash the resolved file and share exactly that inode, unchanged since (L3).
        identity = await self.hass.async_add_executor_job(identify, path)
        scanner = GcodeScanner()
        md5, size = await self.hass.async_add_executor_job(
            sources.hash_file, identity.path, None, scanner
        )
        if not await self.hass.async_add_executor_job(unchanged, identity):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="file_changed",
                translation_placeholders={"filename": path.name},
            )
        ensure_ready(self.coordinator)
        share = async_get_file_share(self.hass)
        url = file_url(self.hass, share.add(identity, path.name))
        try:
            command = commands.start_url_print(url, md5, size, path.name)
            await self._async_expect(command, scanner)
            await self._async_start_url(command, path.name)
        finally:
            # The printer has the file (or the action failed or was cancelled): the link,
            # which travelled in plain MQTT, must not stay usable for the hour (L2).
            share.revoke(url)

    async def _async_expect(self, command: Command, scanner: GcodeScanner) -> None:
        """Hand the file's slicer summary to the job insight before the printer reports the job."""
        info = await self.hass.async_add_executor_job(scanner.result)
        if command.taskid:
            self.coordinator.config_entry.runtime_data.insight.expect_upload(command.taskid, info)

    async def _async_start_url(self, command: Command, filename: str) -> None:
        """Start a URL print and tell the repairs whether the printer took it."""
        try:
            await self._async_start(command, filename, download=True)
        except HomeAssistantError:
            # Firmware 3.1.x refuses hosts outside its allowed domains; repairs explains it.
            self._repairs.async_url_print_result(command, ok=False)
            raise
        self._repairs.async_url_print_result(command, ok=True)

    async def _async_start(self, command: Command, filename: str, *, download: bool) -> None:
        """Send a print/start and wait until the printer has the file (or says it failed)."""
        taskid = command.taskid
        changed = asyncio.Event()

        @callback
        def _on_report(report: Report) -> None:
            """Wake the waiter on every print report."""
            if isinstance(report, PrintReport):
                changed.set()

        unsub = self.coordinator.async_add_report_listener(_on_report)
        try:
            await self.coordinator.async_command(command, wait=False)
            # Without any report for the task the printer did not take the command; during a
            # download every progress report restarts the clock.
            while True:
                changed.clear()
                job, phase = self.coordinator.state.job, self.coordinator.state.phase
                if job is not None and job.taskid == taskid and phase is not None:
                    if phase is PrintPhase.FAILED:
                        raise HomeAssistantError(
                            translation_domain=DOMAIN,
                            translation_key="print_failed" if download else "command_failed",
                            translation_placeholders={
                                "filename": filename,
                                "command": "print/start",
                                "error": job.message or "failed",
                            },
                        )
                    if phase not in (PrintPhase.DOWNLOADING, PrintPhase.CHECKING):
                        return
                try:
                    async with asyncio.timeout(
                        DOWNLOAD_IDLE_TIMEOUT if download else COMMAND_TIMEOUT
                    ):
                        await changed.wait()
                except TimeoutError:
                    raise HomeAssistantError(
                        translation_domain=DOMAIN,
                        translation_key="command_timeout",
                        translation_placeholders={"command": "print/start"},
                    ) from None
        finally:
            unsub()

    # -- keeping the selects fresh --

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Follow the coordinator to read the listings when the printer appears and when a print ends."""
        self._was_active = self.coordinator.state.job_active
        unsubs = (
            self.coordinator.async_add_listener(self._handle_update),
            self.coordinator.async_add_report_listener(self._handle_report),
        )

        @callback
        def stop() -> None:
            """Stop following the coordinator."""
            for unsub in unsubs:
                unsub()

        # A printer that is already there when the browser starts counts as just connected.
        self._handle_update()
        return stop

    @callback
    def _handle_report(self, report: Report) -> None:
        """Read both storages when a printer that seemed there all along announces itself again.

        That is a printer back from a broker restart: our own request went out before it was
        back (and was lost), and no change of availability will come to make up for it.
        """
        if isinstance(report, OnlineReport) and report.online and self._was_available:
            self._list(list(Storage))

    @callback
    def _handle_update(self) -> None:
        """Read both storages when the printer (re)appears; re-read the listed ones when a job ended."""
        coordinator = self.coordinator
        active = coordinator.state.job_active
        available = coordinator.printer_available
        ended, self._was_active = self._was_active and not active, active
        appeared, self._was_available = available and not self._was_available, available
        if appeared:
            # The selects offer the files at once, without waiting for someone to press refresh.
            self._list(list(Storage))
        elif ended:
            # Only storages that were listed: listing costs the printer work.
            self._list([storage for storage in Storage if storage in coordinator.state.files])

    @callback
    def _list(self, storages: list[Storage]) -> None:
        """Re-read storages in the background, quietly (a missing USB stick is only a debug line)."""
        if storages and self.coordinator.printer_available:
            self.coordinator.config_entry.async_create_background_task(
                self.hass, self.async_refresh(storages), f"{DOMAIN} list files"
            )

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call update whenever a listing or a selection changes."""
        self._listeners.append(update)
        return lambda: self._listeners.remove(update)

    @callback
    def _notify(self) -> None:
        """Tell the file entities to write their state."""
        for update in list(self._listeners):
            update()
