# ruff: noqa: F811 (the fixtures of test_files are imported by name)
"""The signed file link over Home Assistant's real HTTP server (security review L2-L4, L10).

It serves the file that was checked (resolved path, same inode, unchanged), never a
pre-compressed sibling, and odd tokens give 404 rather than a server error.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.anycubic_kobra2 import files
from custom_components.anycubic_kobra2.coordinator import KobraCoordinator
from custom_components.anycubic_kobra2.file_serving import identify
from custom_components.anycubic_kobra2.file_share import DATA_FILE_SHARE, async_get_file_share
from kobra2_sim import KobraSimulator

from .test_files import (  # noqa: F401 - fixtures
    call,
    coordinator,
    device_id,
    disable_http_server,
    folders,
    gcode,
    http_base,
    printer_config,
    starts,
)


async def _get(url: str, **headers: str) -> tuple[int, bytes, dict[str, str]]:
    """Fetch url without decoding; return status, body and headers."""
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        session.get(url, headers=headers) as resp,
    ):
        return resp.status, await resp.read(), dict(resp.headers)


async def test_link_serves_exactly_the_checked_file(
    hass: HomeAssistant, http_base: str, folders: dict[str, Path]
) -> None:
    """Forged, renamed, swapped, compressed-sibling and expired requests get 404 or the file."""
    path = folders["media"] / "part.gcode"
    content = gcode(200)
    path.write_bytes(content)
    share = async_get_file_share(hass)
    url = http_base + share.add(await hass.async_add_executor_job(identify, path), "part.gcode")
    assert (await _get(url))[:2] == (200, content)
    # A part of it, as a resuming download asks.
    status, body, headers = await _get(url, Range="bytes=10-19")
    assert (status, body, headers["Content-Range"]) == (
        206,
        content[10:20],
        f"bytes 10-19/{len(content)}",
    )
    # L4: a `.gz` sibling is never served instead, whatever the client accepts.
    (folders["media"] / "part.gcode.gz").write_bytes(b"THIS IS NOT THE SHARED FILE")
    status, body, headers = await _get(url, **{"Accept-Encoding": "gzip, br"})
    assert (status, body) == (200, content)
    assert "Content-Encoding" not in headers
    # L10: a non-ASCII signature is a 404, not a server error.
    token = url.split("/")[-2]
    assert (await _get(url.replace(token, token.split(".")[0] + ".%C3%A9")))[0] == 404
    forged = url.replace(token, token[:-4] + ("0000" if token[-4:] != "0000" else "1111"))
    assert (await _get(forged))[0] == 404
    assert (await _get(url.rsplit("/", 1)[0] + "/other.gcode"))[0] == 404
    # L3: the shared file swapped for a symlink to a secret: 404, not the secret.
    secret = folders["allowed"] / "secrets.yaml"
    secret.write_text("api_password: hunter2\n")
    path.unlink()
    path.symlink_to(secret)
    assert (await _get(url))[0] == 404
    # Changed in place (same path, new content): 404 as well.
    path.unlink()
    path.write_bytes(content + b"M84\n")
    assert (await _get(url))[0] == 404

    # Expiry still applies to links that were not revoked.
    later_url = http_base + share.add(
        await hass.async_add_executor_job(identify, path), "part.gcode", timedelta(seconds=-1)
    )
    assert (await _get(later_url))[0] == 404


async def test_link_is_revoked_when_the_action_is_cancelled(
    hass: HomeAssistant,
    coordinator: KobraCoordinator,
    printer: KobraSimulator,
    call: Any,
    folders: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A cancelled upload_and_print (script stopped, HA shutting down) withdraws its link."""
    (folders["media"] / "cube.gcode").write_bytes(gcode(100))
    started = asyncio.Event()
    real_start = files.FileBrowser._async_start_url

    async def hang(self: Any, command: Any, filename: str) -> None:
        """Stand for a printer that takes long to download."""
        started.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(files.FileBrowser, "_async_start_url", hang)
    task = hass.async_create_task(
        call("upload_and_print", file="media-source://media_source/local/cube.gcode")
    )
    await asyncio.wait_for(started.wait(), 10)
    assert len(hass.data[DATA_FILE_SHARE]) == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(hass.data[DATA_FILE_SHARE]) == 0
    monkeypatch.setattr(files.FileBrowser, "_async_start_url", real_start)


async def test_nul_in_a_media_id_is_a_clean_error(
    hass: HomeAssistant, coordinator: KobraCoordinator, call: Any, folders: dict[str, Path]
) -> None:
    """L10: a NUL in a media-source id or a path is refused with invalid_media_source."""
    for source in (
        "media-source://media_source/local/a%00.gcode",
        str(folders["allowed"]) + "/a\0.gcode",
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call("upload_and_print", file=source)
        assert err.value.translation_key == "invalid_media_source"
