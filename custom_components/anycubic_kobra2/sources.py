"""Print sources: Home Assistant files and URLs resolved, checked as G-code and hashed."""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath
from typing import Final
from urllib.parse import unquote, urlsplit

from aiohttp import ClientError, ClientResponseError, ClientTimeout
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import raise_if_invalid_path

from .const import DOMAIN
from .kobra2 import is_gcode_name
from .kobra2.gcode import GcodeScanner
from .url_checks import MAX_REDIRECTS, check_redirects, download_failed

# A Kobra 2 has printed a 300 MB file from a URL (protocol doc §7); 1 GiB leaves room while
# still stopping Home Assistant from hashing or serving something absurd.
MAX_FILE_SIZE: Final = 1024 * 1024 * 1024
# A text G-code file never holds a NUL byte; binary formats (.bgcode, archives) do early on.
_SNIFF_BYTES: Final = 64 * 1024
_CHUNK: Final = 1024 * 1024
_MEDIA_SOURCE_PREFIX: Final = "media-source://media_source/"
# Reading stops when the server goes quiet for this long; big files may take minutes in total.
# The total is generous for 1 GiB on a slow line, but a server dripping bytes cannot hold
# the action (and a socket) forever.
_DOWNLOAD_TIMEOUT: Final = ClientTimeout(total=30 * 60, connect=30, sock_read=60)


def _mib(size: int) -> str:
    """Format a byte count as whole MiB for messages."""
    return str(size // (1024 * 1024))


def check_gcode_name(filename: str) -> None:
    """Raise not_gcode unless the file name ends in a G-code suffix."""
    if not is_gcode_name(filename):
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
        async with session.get(
            url, timeout=_DOWNLOAD_TIMEOUT, raise_for_status=True, max_redirects=MAX_REDIRECTS
        ) as resp:
            check_redirects(url, resp)
            if resp.content_length is not None and resp.content_length > limit:
                raise _too_large(filename, limit)
            async for chunk in resp.content.iter_chunked(_CHUNK):
                hasher.update(chunk)
    except ClientResponseError as err:
        raise download_failed(url, f"HTTP {err.status}") from err
    except (ClientError, TimeoutError) as err:
        raise download_failed(url, str(err) or type(err).__name__) from err
    return hasher.md5, hasher.size


async def async_resolve_source(hass: HomeAssistant, source: str) -> Path:
    """Map a local media-source id or an allow-listed absolute path to an existing file."""
    if "\0" in source or "%00" in source:
        raise _invalid_media(source)
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
