# ruff: noqa: F811 (the fixtures of test_files are imported by name)
"""What a Home Assistant user who is not an admin can do, and names sent to the printer.

Security review M3 (firmware from a non-admin), L1 (print_from_url as an SSRF with an
oracle) and L11 (names forwarded unsanitised), against the simulator over a real broker.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
import pytest
from pytest_homeassistant_custom_component.common import MockUser
from yarl import URL

from custom_components.anycubic_kobra2.const import DOMAIN
from custom_components.anycubic_kobra2.coordinator import KobraCoordinator
from custom_components.anycubic_kobra2.url_checks import check_redirects, display_url
from kobra2_sim import KobraSimulator

from .test_files import (  # noqa: F401 - fixtures
    call,
    coordinator,
    device_id,
    disable_http_server,
    file_server,
    gcode,
    http_base,
    printer_config,
    starts,
)

FIRMWARE = {
    "version": "9.9.9",
    "url": "http://attacker.example/evil.bin",
    "md5": "0" * 32,
    "size": 1_000_000,
}


async def test_non_admin_cannot_fetch_urls_or_offer_firmware(
    hass: HomeAssistant,
    coordinator: KobraCoordinator,
    printer: KobraSimulator,
    device_id: str,
    hass_read_only_user: MockUser,
    file_server: tuple[str, dict[str, bytes]],
) -> None:
    """print_from_url and announce_firmware are admin-only; listing files is not."""
    base, files = file_server
    files["cube.gcode"] = gcode(10)
    context = Context(user_id=hass_read_only_user.id)
    for service, data in (
        ("print_from_url", {"url": f"{base}/cube.gcode"}),
        ("announce_firmware", FIRMWARE),
    ):
        with pytest.raises(Unauthorized):
            await hass.services.async_call(
                DOMAIN, service, {"device_id": device_id, **data}, blocking=True, context=context
            )
    assert starts(printer) == []
    assert not [cmd for cmd in printer.received if (cmd.type, cmd.action) == ("ota", "update")]
    listing = await hass.services.async_call(
        DOMAIN,
        "list_files",
        {"device_id": device_id},
        blocking=True,
        context=context,
        return_response=True,
    )
    assert listing is not None
    assert listing["files"]


async def test_firmware_size_and_name_are_checked(
    hass: HomeAssistant, coordinator: KobraCoordinator, call: Any
) -> None:
    """An absurd size or a name with a path in it is refused, even for an admin."""
    with pytest.raises(Exception, match="size"):
        await call("announce_firmware", **{**FIRMWARE, "size": 10**15})
    for name in ("../../evil.bin", "a/b.bin", ".hidden", "x\n.bin"):
        with pytest.raises(ServiceValidationError) as err:
            await call("announce_firmware", **{**FIRMWARE, "name": name})
        assert err.value.translation_key == "unsafe_name"
    with pytest.raises(ServiceValidationError) as err:
        await call("announce_firmware", **{**FIRMWARE, "url": "http://attacker.example/.."})
    assert err.value.translation_key == "unsafe_name"


async def test_names_sent_to_the_printer_are_base_names(
    hass: HomeAssistant,
    coordinator: KobraCoordinator,
    printer: KobraSimulator,
    call: Any,
    file_server: tuple[str, dict[str, bytes]],
) -> None:
    """print_from_url's filename (given or from the URL) and listed paths are checked."""
    base, files = file_server
    files["a\n.gcode"] = files["ok.gcode"] = gcode(10)
    for filename in ("../../../etc/init.d/S99evil\n.gcode", "a/b.gcode", "\x00.gcode"):
        with pytest.raises(ServiceValidationError) as err:
            await call("print_from_url", url=f"{base}/ok.gcode", filename=filename)
        assert err.value.translation_key == "unsafe_name"
    with pytest.raises(ServiceValidationError) as err:
        await call("print_from_url", url=f"{base}/a%0A.gcode")
    assert err.value.translation_key == "unsafe_name"
    with pytest.raises(ServiceValidationError) as err:
        await call("list_files", response=True, path="/etc/\x00x")
    assert err.value.translation_key == "unsafe_name"
    assert starts(printer) == []


async def test_redirects_are_checked_and_errors_say_nothing(
    hass: HomeAssistant,
    coordinator: KobraCoordinator,
    printer: KobraSimulator,
    call: Any,
) -> None:
    """A redirect loop or a closed port gives the same message, without host, port or status."""
    from aiohttp import web  # noqa: PLC0415

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"/loop{int(request.match_info['n']) + 1}.gcode")

    app = web.Application()
    app.router.add_get(r"/loop{n:\d+}.gcode", loop)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        messages = []
        for url in (
            f"http://user:secret@127.0.0.1:{port}/loop0.gcode",
            "http://127.0.0.1:9/x.gcode",
        ):
            with pytest.raises(HomeAssistantError) as err:
                await call("print_from_url", url=url)
            assert err.value.translation_key == "url_download_failed"
            messages.append(str(err.value))
    finally:
        await runner.cleanup()
    for message in messages:
        assert "secret" not in message
        assert "Connect" not in message
        assert "HTTP" not in message.replace("http://", "")
    assert starts(printer) == []


def test_check_redirects_rules() -> None:
    """A hop must stay on http(s), and may not lead from outside to this machine."""

    def response(*hops: str) -> Any:
        urls = [URL(hop) for hop in hops]
        return SimpleNamespace(history=[SimpleNamespace(url=u) for u in urls[:-1]], url=urls[-1])

    check_redirects(
        "http://example.com/a", response("http://example.com/a", "https://cdn.example/a")
    )
    check_redirects("http://127.0.0.1/a", response("http://127.0.0.1/a", "http://127.0.0.1/b"))
    for target in (
        "http://127.0.0.1:8123/api",
        "http://169.254.169.254/latest",
        "http://localhost/x",
    ):
        with pytest.raises(HomeAssistantError):
            check_redirects("http://example.com/a", response("http://example.com/a", target))
    with pytest.raises(HomeAssistantError):
        check_redirects(
            "http://example.com/a", response("http://example.com/a", "ftp://example.com/a")
        )
    assert display_url("http://u:p@host:81/x") == "http://host:81/x"
    assert display_url("http://host/x") == "http://host/x"
