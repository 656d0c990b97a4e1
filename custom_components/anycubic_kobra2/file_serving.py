"""Serve a shared file exactly as it was checked: same resolved path, same inode, no sibling."""

from __future__ import annotations

from dataclasses import dataclass
import os
from pathlib import Path
import re
import stat
from typing import BinaryIO, Final

from aiohttp import web
from homeassistant.core import HomeAssistant

_CHUNK: Final = 1024 * 1024
_RANGE: Final = re.compile(r"bytes=(\d*)-(\d*)")
_HEADERS: Final = {"Cache-Control": "no-store", "Content-Type": "application/octet-stream"}


@dataclass(frozen=True, slots=True)
class FileIdentity:
    """A regular file as it was when checked: where it really is and which inode it was."""

    path: Path
    device: int
    inode: int
    size: int
    mtime_ns: int


def identify(path: Path) -> FileIdentity:
    """Return the identity of the regular file behind path, symlinks resolved; blocking."""
    resolved = path.resolve(strict=True)
    info = os.stat(resolved, follow_symlinks=False)
    if not stat.S_ISREG(info.st_mode):
        raise FileNotFoundError(resolved)
    return FileIdentity(resolved, info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def _same(identity: FileIdentity, info: os.stat_result) -> bool:
    """Return whether a stat result is still the checked file, unchanged."""
    return stat.S_ISREG(info.st_mode) and (
        info.st_dev,
        info.st_ino,
        info.st_size,
        info.st_mtime_ns,
    ) == (identity.device, identity.inode, identity.size, identity.mtime_ns)


def unchanged(identity: FileIdentity) -> bool:
    """Return whether the file at the identity's path is still that file; blocking."""
    try:
        return _same(identity, os.stat(identity.path, follow_symlinks=False))
    except OSError:
        return False


def open_checked(identity: FileIdentity) -> BinaryIO | None:
    """Open the checked file without following a symlink; None if it is gone or changed."""
    try:
        fd = os.open(identity.path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    file = os.fdopen(fd, "rb")
    if not _same(identity, os.fstat(fd)):
        file.close()
        return None
    return file


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Return (first, last) of a single satisfiable `Range: bytes=` header, else None."""
    match = _RANGE.fullmatch(header.strip()) if header else None
    if match is None or size == 0:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        return max(size - int(last), 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start > end:
        raise web.HTTPRequestRangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"})
    return start, end


async def async_send_file(
    hass: HomeAssistant, request: web.Request, identity: FileIdentity
) -> web.StreamResponse:
    """Stream the checked file (or one range of it) from a descriptor opened and verified now.

    Unlike aiohttp's FileResponse this never serves a pre-compressed `.gz`/`.br` sibling.
    """
    file = await hass.async_add_executor_job(open_checked, identity)
    if file is None:
        raise web.HTTPNotFound
    try:
        size = identity.size
        span = _byte_range(request.headers.get("Range"), size)
        first, last = span if span is not None else (0, size - 1)
        headers = {**_HEADERS, "Accept-Ranges": "bytes", "Content-Length": str(last - first + 1)}
        if span is not None:
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
        response = web.StreamResponse(status=206 if span is not None else 200, headers=headers)
        await response.prepare(request)
        if first:
            await hass.async_add_executor_job(file.seek, first)
        remaining = last - first + 1
        while remaining > 0:
            chunk = await hass.async_add_executor_job(file.read, min(_CHUNK, remaining))
            if not chunk:
                break
            await response.write(chunk)
            remaining -= len(chunk)
        await response.write_eof()
        return response
    finally:
        await hass.async_add_executor_job(file.close)
