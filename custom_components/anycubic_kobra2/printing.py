"""Files and printing: G-code checks, signed download links served by Home Assistant, URL hashing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import hashlib
import hmac
from pathlib import Path, PurePosixPath
import posixpath
import secrets
from typing import Any, Final
from urllib.parse import quote, unquote, urlsplit

from aiohttp import ClientError, ClientResponseError, ClientTimeout, web
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util import dt as dt_util, raise_if_invalid_path
from homeassistant.util.hass_dict import HassKey

from . import insight, repairs
from .const import COMMAND_TIMEOUT, DOMAIN, LOGGER
from .coordinator import KobraCoordinator, job_active, print_state
from .kobra2 import commands
from .kobra2.commands import Command
from .kobra2.gcode import GcodeScanner
from .kobra2.models import (
    FileEntry,
    MachineStatus,
    OnlineReport,
    PrintPhase,
    PrintReport,
    Report,
    Storage,
)

# The printer only lists and prints .gcode files (protocol doc §7).
GCODE_SUFFIXES: Final = (".gcode",)
# A Kobra 2 has printed a 300 MB file from a URL (protocol doc §7); 1 GiB leaves room while
# still stopping Home Assistant from hashing or serving something absurd.
MAX_FILE_SIZE: Final = 1024 * 1024 * 1024
# How long a signed link stays valid: enough for the printer to start downloading, short enough
# that a leaked link soon stops working.
URL_LIFETIME: Final = timedelta(hours=1)
FILES_URL: Final = f"/api/{DOMAIN}/files"
# A text G-code file never holds a NUL byte; binary formats (.bgcode, archives) do early on.
_SNIFF_BYTES: Final = 64 * 1024
_CHUNK: Final = 1024 * 1024
_MEDIA_SOURCE_PREFIX: Final = "media-source://media_source/"
# Reading stops when the server goes quiet for this long; big files may take minutes in total.
_DOWNLOAD_TIMEOUT: Final = ClientTimeout(total=None, connect=30, sock_read=60)
# Seconds a printer download may go without a single report before the action gives up waiting.
DOWNLOAD_IDLE_TIMEOUT: Final = 120.0

DATA_FILE_SHARE: HassKey[FileShare] = HassKey(f"{DOMAIN}_file_share")


def _mib(size: int) -> str:
    """Format a byte count as whole MiB for messages."""
    return str(size // (1024 * 1024))


def check_gcode_name(filename: str) -> None:
    """Raise not_gcode unless the file name ends in a G-code suffix."""
    if not filename.lower().endswith(GCODE_SUFFIXES) or not PurePosixPath(filename).stem:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_gcode",
            translation_placeholders={"filename": filename},
        )


def _too_large(filename: str, limit: int) -> ServiceValidationError:
    """Build the file_too_large error."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="file_too_large",
        translation_placeholders={"filename": filename, "limit": _mib(limit)},
    )


def _not_gcode(filename: str) -> ServiceValidationError:
    """Build the not_gcode error (used when the content is binary)."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="not_gcode",
        translation_placeholders={"filename": filename},
    )


class _Hasher:
    """MD5 and size of a G-code stream, refusing binary content and anything over the limit."""

    def __init__(self, filename: str, limit: int, scanner: GcodeScanner | None = None) -> None:
        self._filename = filename
        self._limit = limit
        self._md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0
        # Reads the slicer's summary and thumbnail on the way (bounded, see kobra2/gcode.py).
        self._scanner = scanner

    def update(self, chunk: bytes) -> None:
        """Add a chunk; raises file_too_large or not_gcode."""
        start = self.size
        self.size += len(chunk)
        if self.size > self._limit:
            raise _too_large(self._filename, self._limit)
        if start < _SNIFF_BYTES and b"\0" in chunk[: _SNIFF_BYTES - start]:
            raise _not_gcode(self._filename)
        self._md5.update(chunk)
        if self._scanner is not None:
            self._scanner.feed(chunk)

    @property
    def md5(self) -> str:
        """Lowercase hex digest of everything added so far."""
        return self._md5.hexdigest()


def hash_file(
    path: Path, limit: int | None = None, scanner: GcodeScanner | None = None
) -> tuple[str, int]:
    """Return (md5, size) of a local G-code file; blocking, run it in the executor."""
    limit = MAX_FILE_SIZE if limit is None else limit
    if path.stat().st_size > limit:
        raise _too_large(path.name, limit)
    hasher = _Hasher(path.name, limit, scanner)
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            hasher.update(chunk)
    return hasher.md5, hasher.size


def url_filename(url: str) -> str:
    """Return the file name at the end of a URL's path ("" when there is none)."""
    return PurePosixPath(unquote(urlsplit(url).path)).name


def check_http_url(url: str) -> None:
    """Raise invalid_url unless url is an absolute http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_url",
            translation_placeholders={"url": url},
        )


async def async_hash_url(
    hass: HomeAssistant,
    url: str,
    filename: str,
    limit: int | None = None,
    scanner: GcodeScanner | None = None,
) -> tuple[str, int]:
    """Stream a URL through MD5 with Home Assistant's HTTP session; return (md5, size)."""
    limit = MAX_FILE_SIZE if limit is None else limit
    session = async_get_clientsession(hass)
    hasher = _Hasher(filename, limit, scanner)
    try:
        async with session.get(url, timeout=_DOWNLOAD_TIMEOUT, raise_for_status=True) as resp:
            if resp.content_length is not None and resp.content_length > limit:
                raise _too_large(filename, limit)
            async for chunk in resp.content.iter_chunked(_CHUNK):
                hasher.update(chunk)
    except ClientResponseError as err:
        raise _download_failed(url, f"HTTP {err.status}") from err
    except (ClientError, TimeoutError) as err:
        raise _download_failed(url, str(err) or type(err).__name__) from err
    return hasher.md5, hasher.size


def _download_failed(url: str, error: str) -> HomeAssistantError:
    """Build the download_failed error."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="download_failed",
        translation_placeholders={"url": url, "error": error},
    )


# --- files of Home Assistant ----------------------------------------------------------------


async def async_resolve_source(hass: HomeAssistant, source: str) -> Path:
    """Map a local media-source id or an allow-listed absolute path to an existing file."""
    if source.startswith("media-source://"):
        path, base = _media_source_path(hass, source)
        inside = await hass.async_add_executor_job(_resolves_inside, path, base)
        if not inside:
            raise _invalid_media(source)
    else:
        path = Path(source)
        allowed = path.is_absolute() and await hass.async_add_executor_job(
            hass.config.is_allowed_path, source
        )
        if not allowed:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="path_not_allowed",
                translation_placeholders={"path": source},
            )
    if not await hass.async_add_executor_job(path.is_file):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="source_not_found",
            translation_placeholders={"source": source},
        )
    return path


def _invalid_media(source: str) -> ServiceValidationError:
    """Build the invalid_media_source error."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="invalid_media_source",
        translation_placeholders={"source": source},
    )


def _media_source_path(hass: HomeAssistant, source: str) -> tuple[Path, Path]:
    """Return (file, media dir) of media-source://media_source/<media dir>/<location>."""
    if not source.startswith(_MEDIA_SOURCE_PREFIX):
        raise _invalid_media(source)
    source_dir_id, _, location = source.removeprefix(_MEDIA_SOURCE_PREFIX).partition("/")
    location = unquote(location)
    if source_dir_id not in hass.config.media_dirs or not location:
        raise _invalid_media(source)
    try:
        raise_if_invalid_path(location)
    except ValueError as err:
        raise _invalid_media(source) from err
    if PurePosixPath(location).is_absolute():
        raise _invalid_media(source)
    base = Path(hass.config.media_dirs[source_dir_id])
    return base / location, base


def _resolves_inside(path: Path, base: Path) -> bool:
    """Return True when path, symlinks followed, stays inside base; blocking."""
    return path.resolve().is_relative_to(base.resolve())


# --- signed download links --------------------------------------------------------------------


def _utcnow() -> datetime:
    """Return the current time (looked up per call, so the clock can be swapped in tests)."""
    return dt_util.utcnow()


@dataclass(frozen=True, slots=True)
class _Share:
    """One file offered to the printer."""

    path: Path
    filename: str
    expires: datetime
    signature: str


class FileShare:
    """Signed, expiring links under Home Assistant's HTTP server to files the printer downloads.

    A token is a random id plus an HMAC over id, file name and expiry, keyed by a secret that
    lives only in memory, so links die with the process and cannot be forged or stretched.
    """

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self._key = secrets.token_bytes(32)
        self._shares: dict[str, _Share] = {}
        self._now = now or _utcnow

    def _sign(self, share_id: str, filename: str, expires: datetime) -> str:
        """Return the HMAC of one share's identity."""
        message = f"{share_id}\n{filename}\n{expires.isoformat()}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    @callback
    def add(self, path: Path, filename: str, lifetime: timedelta = URL_LIFETIME) -> str:
        """Offer path under filename for lifetime; return the URL path (no host) to fetch it."""
        self._prune()
        share_id = secrets.token_urlsafe(16)
        expires = self._now() + lifetime
        signature = self._sign(share_id, filename, expires)
        self._shares[share_id] = _Share(path, filename, expires, signature)
        return f"{FILES_URL}/{share_id}.{signature}/{quote(filename)}"

    @callback
    def get(self, token: str, filename: str) -> Path | None:
        """Return the shared file for a token and name, or None when unknown, forged or expired."""
        share_id, _, signature = token.partition(".")
        share = self._shares.get(share_id)
        if share is None:
            return None
        expected = self._sign(share_id, share.filename, share.expires)
        if not (
            hmac.compare_digest(signature, expected)
            and hmac.compare_digest(filename.encode(), share.filename.encode())
        ):
            return None
        if self._now() >= share.expires:
            del self._shares[share_id]
            return None
        return share.path

    @callback
    def revoke(self, url: str) -> None:
        """Stop offering the file behind a URL returned by add."""
        token = PurePosixPath(urlsplit(url).path).parent.name
        self._shares.pop(token.partition(".")[0], None)

    def _prune(self) -> None:
        """Forget expired shares."""
        now = self._now()
        for share_id in [key for key, share in self._shares.items() if now >= share.expires]:
            del self._shares[share_id]

    def __len__(self) -> int:
        """Return how many shares are held (expired ones go on the next add)."""
        return len(self._shares)


class KobraFileView(HomeAssistantView):
    """Serves shared files to the printer; the signed token in the URL is the only credential."""

    url = FILES_URL + "/{token}/{filename}"
    name = f"api:{DOMAIN}:files"
    # The printer cannot send a Home Assistant token; the HMAC-signed, expiring URL stands in.
    requires_auth = False

    def __init__(self, hass: HomeAssistant, share: FileShare) -> None:
        self._hass = hass
        self._share = share

    async def get(self, request: web.Request, token: str, filename: str) -> web.StreamResponse:
        """Send the file, or 404 for anything unknown, forged or expired."""
        path = self._share.get(token, filename)
        if path is None or not await self._hass.async_add_executor_job(path.is_file):
            LOGGER.debug("Refused a file download from %s", request.remote)
            raise web.HTTPNotFound
        LOGGER.debug("Serving %s to %s", filename, request.remote)
        return web.FileResponse(
            path,
            headers={
                "Cache-Control": "no-store",
                "Content-Type": "application/octet-stream",
            },
        )


@callback
def async_get_file_share(hass: HomeAssistant) -> FileShare:
    """Return the file share, registering its HTTP view on first use."""
    if (share := hass.data.get(DATA_FILE_SHARE)) is None:
        share = hass.data[DATA_FILE_SHARE] = FileShare()
        hass.http.register_view(KobraFileView(hass, share))
    return share


def file_url(hass: HomeAssistant, url_path: str) -> str:
    """Return the absolute URL of url_path on Home Assistant, as the printer must reach it."""
    try:
        # The printer sits on the LAN and likely cannot do TLS to a cloud proxy: prefer the
        # internal URL, allow a bare IP, never the Nabu Casa remote URL.
        base = get_url(hass, prefer_external=False, allow_ip=True, allow_cloud=False)
    except NoURLAvailableError as err:
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="no_url") from err
    return base.rstrip("/") + url_path


# --- talking to the printer ---------------------------------------------------------------


def _join(folder: str, name: str) -> str:
    """Join a printer folder and a name into a path."""
    return f"{folder.rstrip('/')}/{name}"


def normalize_path(path: str) -> str:
    """Return a printer path in canonical form: leading slash, no trailing slash, no dot parts."""
    # Anchored at "/" first, so ".." can never climb above the storage's top folder.
    return posixpath.normpath("/" + path.replace("\\", "/")).replace("//", "/")


def _parent(path: str) -> str:
    """Return the folder a printer path lives in."""
    return str(PurePosixPath(path).parent)


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
    if not coordinator.broker_connected:
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="not_connected")
    if not coordinator.printer_available:
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="printer_offline")
    state = coordinator.state
    if state.status is MachineStatus.BUSY or job_active(state):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="printer_busy",
            translation_placeholders={"state": print_state(state) or "busy"},
        )


class FileBrowser:
    """The file side of one printer: folder listings, the selected files and the print actions."""

    def __init__(self, coordinator: KobraCoordinator) -> None:
        self.coordinator = coordinator
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
            if _parent(entry.path) == folder
            else replace(entry, path=_join(folder, entry.name))
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
        for entry in await self.async_list(storage, _parent(path)):
            if entry.path == path:
                return entry
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="file_not_found",
            translation_placeholders={"path": path, "storage": storage.value},
        )

    # -- actions --

    async def async_delete(self, storage: Storage, path: str) -> None:
        """Delete a file after checking it exists; confirm by listing again."""
        path = normalize_path(path)
        entry = await self._async_find(storage, path)
        if entry.is_dir:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="is_folder",
                translation_placeholders={"path": path},
            )
        await self.coordinator.async_command(commands.delete_file(storage, path))
        remaining = await self.async_list(storage, _parent(path))
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
        entry = await self._async_find(storage, path)
        if entry.is_dir:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="is_folder",
                translation_placeholders={"path": path},
            )
        check_gcode_name(entry.name)
        ensure_ready(self.coordinator)
        start = commands.start_local_print if storage is Storage.LOCAL else commands.start_usb_print
        await self._async_start(start(entry.name, _parent(path)), entry.name, download=False)

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
        check_http_url(url)
        filename = filename or url_filename(url)
        check_gcode_name(filename)
        ensure_ready(self.coordinator)
        scanner = GcodeScanner()
        md5, size = await async_hash_url(self.hass, url, filename, scanner=scanner)
        ensure_ready(self.coordinator)
        command = commands.start_url_print(url, md5, size, filename)
        await self._async_expect(command, scanner)
        await self._async_start_url(command, filename)

    async def async_upload_and_print(self, source: str) -> None:
        """Offer a Home Assistant file through a signed link and have the printer print it."""
        path = await async_resolve_source(self.hass, source)
        check_gcode_name(path.name)
        ensure_ready(self.coordinator)
        scanner = GcodeScanner()
        md5, size = await self.hass.async_add_executor_job(hash_file, path, None, scanner)
        ensure_ready(self.coordinator)
        share = async_get_file_share(self.hass)
        url = file_url(self.hass, share.add(path, path.name))
        try:
            command = commands.start_url_print(url, md5, size, path.name)
            await self._async_expect(command, scanner)
            await self._async_start_url(command, path.name)
        except HomeAssistantError:
            share.revoke(url)
            raise

    async def _async_expect(self, command: Command, scanner: GcodeScanner) -> None:
        """Hand the file's slicer summary to the job insight before the printer reports the job."""
        info = await self.hass.async_add_executor_job(scanner.result)
        if command.taskid:
            insight.get_insight(self.coordinator).expect_upload(command.taskid, info)

    async def _async_start_url(self, command: Command, filename: str) -> None:
        """Start a URL print and tell the repairs whether the printer took it."""
        try:
            await self._async_start(command, filename, download=True)
        except HomeAssistantError:
            # Firmware 3.1.x refuses hosts outside its allowed domains; repairs explains it.
            repairs.async_url_print_result(self.coordinator, command, ok=False)
            raise
        repairs.async_url_print_result(self.coordinator, command, ok=True)

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
        self._was_active = job_active(self.coordinator.state)
        unsubs = (
            self.coordinator.async_add_listener(self._handle_update),
            self.coordinator.async_add_report_listener(self._handle_report),
        )

        @callback
        def stop() -> None:
            """Stop following the coordinator."""
            for unsub in unsubs:
                unsub()

        # A printer that is already there when the entities are set up counts as just connected.
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
        active = job_active(coordinator.state)
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


DATA_BROWSERS: HassKey[dict[str, FileBrowser]] = HassKey(f"{DOMAIN}_file_browsers")


@callback
def async_get_browser(coordinator: KobraCoordinator) -> FileBrowser:
    """Return the file browser of a printer, creating it (and its listing triggers) once."""
    hass = coordinator.hass
    browsers = hass.data.setdefault(DATA_BROWSERS, {})
    entry = coordinator.config_entry
    if (browser := browsers.get(entry.entry_id)) is None or browser.coordinator is not coordinator:
        browser = browsers[entry.entry_id] = FileBrowser(coordinator)
        entry.async_on_unload(browser.async_start())

        @callback
        def _forget() -> None:
            """Drop the browser with its entry."""
            browsers.pop(entry.entry_id, None)

        entry.async_on_unload(_forget)
    return browser
