"""Files and printing from Home Assistant, against the simulator over a real broker.

Home Assistant's own HTTP server runs on a free loopback port, so the simulated printer really
downloads `upload_and_print` files through the signed link.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
import hashlib
import json
from pathlib import Path
from typing import Any

import aiohttp
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.select import (
    ATTR_OPTION,
    ATTR_OPTIONS,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.anycubic_kobra2 import file_share, files, sources
from custom_components.anycubic_kobra2.const import DOMAIN
from custom_components.anycubic_kobra2.coordinator import KobraCoordinator
from custom_components.anycubic_kobra2.file_share import DATA_FILE_SHARE, FileShare
from custom_components.anycubic_kobra2.kobra2.models import PrintPhase, Storage
from kobra2_sim import (
    LOCAL,
    USB,
    KobraSimulator,
    ReceivedCommand,
    SimFile,
)
from tests.helpers.brokers import AmqttBroker
from tests.helpers.entry import (
    PRINTER_ID,
    entity,
    ha_http_server,
    setup_entry,
    state_of,
    wait_until,
)
from tests.helpers.http import serve_files

LOCAL_SELECT = entity("select", "file_on_printer")
USB_SELECT = entity("select", "file_on_usb")
PRINT_LOCAL = entity("button", "print_selected_file_on_printer")
REFRESH = entity("button", "refresh_file_lists")
PRINT_STATE = entity("sensor", "print_state")

LOCAL_FILES = (
    SimFile("/cube.gcode", 1_873_421, 1_709_800_000_000, print_seconds=400),
    SimFile("/benchy.gcode", 4_912_337, 1_709_700_000_000, print_seconds=400),
    SimFile("/parts/clip.gcode", 611_902, 1_709_600_000_000, print_seconds=400),
)
USB_FILES = (
    SimFile("/vase.gcode", 2_733_950, 1_709_500_000_000, print_seconds=400),
    SimFile("/models/gear.gcode", 3_318_006, 1_709_400_000_000, print_seconds=400),
)


def gcode(lines: int = 4000) -> bytes:
    """Return plausible G-code text (about 100 kB)."""
    body = "".join(
        f"G1 X{i % 200}.{i % 10} Y{(i * 7) % 200} E{i * 0.05:.3f}\n" for i in range(lines)
    )
    return (";FLAVOR:Marlin\nG28\nM104 S210\nM140 S60\n" + body + "M84\n").encode()


def starts(sim: KobraSimulator) -> list[ReceivedCommand]:
    """Return every print/start the simulator received."""
    return [cmd for cmd in sim.received if (cmd.type, cmd.action) == ("print", "start")]


def sent(sim: KobraSimulator, type_: str, action: str) -> int:
    """Count the commands of one kind the simulator received."""
    return sum(1 for cmd in sim.received if (cmd.type, cmd.action) == (type_, action))


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def printer_config() -> dict[str, Any]:
    """Run a simulated printer with known files that heats and prints quickly."""
    return {"time_scale": 200.0, "local_files": LOCAL_FILES, "usb_files": USB_FILES}


@pytest.fixture(autouse=True)
def disable_http_server() -> None:
    """Let Home Assistant's HTTP server bind and serve (newer test plugins patch both away).

    Every test here that sets up the integration therefore uses `http_base` (a free port).
    """


@pytest.fixture
async def http_base(hass: HomeAssistant, socket_enabled: None) -> AsyncIterator[str]:
    """Run Home Assistant's HTTP server on a free loopback port; its URL is the internal URL."""
    async with ha_http_server(hass) as base:
        yield base


@pytest.fixture
def folders(hass: HomeAssistant, tmp_path: Path) -> dict[str, Path]:
    """Provide a media folder and an allow-listed folder for files to print."""
    media, allowed = tmp_path / "media", tmp_path / "allowed"
    media.mkdir()
    allowed.mkdir()
    hass.config.media_dirs = {"local": str(media)}
    hass.config.allowlist_external_dirs = {str(media), str(allowed)}
    return {"media": media, "allowed": allowed}


@pytest.fixture
async def coordinator(
    hass: HomeAssistant,
    http_base: str,
    mock_config_entry: MockConfigEntry,
    printer: KobraSimulator,
) -> KobraCoordinator:
    """Set up the integration against the simulator; it lists both storages once on its own."""
    await setup_entry(hass, mock_config_entry)
    coordinator: KobraCoordinator = mock_config_entry.runtime_data.coordinator
    await wait_until(lambda: coordinator.printer_available and coordinator.state.status is not None)
    await wait_until(lambda: set(coordinator.state.files) == {Storage.LOCAL, Storage.USB})
    await hass.async_block_till_done()
    assert (sent(printer, "file", "listLocal"), sent(printer, "file", "listUdisk")) == (1, 1)
    return coordinator


@pytest.fixture
def device_id(hass: HomeAssistant, coordinator: KobraCoordinator) -> str:
    """Return the printer's device id, as actions take it."""
    (device,) = dr.async_entries_for_config_entry(
        dr.async_get(hass), coordinator.config_entry.entry_id
    )
    assert (DOMAIN, PRINTER_ID) in device.identifiers
    return device.id


@pytest.fixture
def call(hass: HomeAssistant, device_id: str) -> Callable[..., Any]:
    """Call one of the integration's actions for the test printer and wait for it."""

    async def _call(service: str, response: bool = False, **data: Any) -> Any:
        return await hass.services.async_call(
            DOMAIN,
            service,
            {"device_id": device_id, **data},
            blocking=True,
            return_response=response,
        )

    return _call


# --- listing ---------------------------------------------------------------------------------


async def test_list_both_storages(
    hass: HomeAssistant, coordinator: KobraCoordinator, printer: KobraSimulator, call: Any
) -> None:
    """list_files answers with the printer's own listing of each storage; the selects follow."""
    local = await call("list_files", response=True, storage="local")
    assert local["storage"] == "local"
    assert local["path"] == "/"
    expected = {entry.name: entry for entry in printer.local_files.values() if entry.parent == "/"}
    assert {item["name"] for item in local["files"]} == set(expected)
    for item in local["files"]:
        sim_entry = expected[item["name"]]
        assert item["path"] == sim_entry.path
        assert item["is_dir"] is sim_entry.is_dir
        assert item["size"] == sim_entry.size
        if not sim_entry.is_dir:
            modified = int(dt_util.parse_datetime(item["modified"]).timestamp() * 1000)
            assert modified == sim_entry.mtime_ms

    usb = await call("list_files", response=True, storage="usb")
    assert {item["path"] for item in usb["files"]} == {"/vase.gcode", "/models"}

    # Folders are shown by path with a trailing slash, files by path.
    options = hass.states.get(LOCAL_SELECT).attributes[ATTR_OPTIONS]
    assert options == ["/parts/", "/benchy.gcode", "/cube.gcode"]
    assert hass.states.get(USB_SELECT).attributes[ATTR_OPTIONS] == ["/models/", "/vase.gcode"]

    # A subfolder: paths include the folder even though the printer lists bare names.
    sub = await call("list_files", response=True, storage="usb", path="/models")
    assert [item["path"] for item in sub["files"]] == ["/models/gear.gcode"]
    await hass.async_block_till_done()
    assert hass.states.get(USB_SELECT).attributes[ATTR_OPTIONS] == ["/", "/models/gear.gcode"]


def lists(sim: KobraSimulator) -> tuple[int, int]:
    """Return how often the printer was asked for its internal and its USB listing."""
    return sent(sim, "file", "listLocal"), sent(sim, "file", "listUdisk")


async def test_files_listed_again_when_printer_reconnects(
    hass: HomeAssistant, coordinator: KobraCoordinator, printer: KobraSimulator
) -> None:
    """A printer that drops off and comes back is listed again: a file added meanwhile is offered."""
    assert lists(printer) == (1, 1)
    printer.crash()
    await wait_until(lambda: not coordinator.printer_available)
    printer.local_files.add(SimFile("/new.gcode", size=1234))
    await printer.start()
    await wait_until(lambda: lists(printer) == (2, 2))
    await hass.async_block_till_done()
    assert "/new.gcode" in hass.states.get(LOCAL_SELECT).attributes[ATTR_OPTIONS]


async def test_files_listed_again_when_broker_comes_back(
    hass: HomeAssistant, coordinator: KobraCoordinator, printer: KobraSimulator, amqtt: AmqttBroker
) -> None:
    """After a broker restart (both links reconnect) the listings are read again: new files show up."""
    await amqtt.stop()
    printer.local_files.add(SimFile("/new.gcode", size=1234))
    await amqtt.start()
    await wait_until(
        lambda: "/new.gcode" in hass.states.get(LOCAL_SELECT).attributes[ATTR_OPTIONS], timeout=30
    )
    await wait_until(lambda: lists(printer)[1] >= 2)


async def test_select_opens_folders(
    hass: HomeAssistant, coordinator: KobraCoordinator, printer: KobraSimulator
) -> None:
    """Choosing a folder in the select lists it; choosing the parent goes back."""
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: LOCAL_SELECT, ATTR_OPTION: "/parts/"},
        blocking=True,
    )
    await hass.async_block_till_done()
    state = hass.states.get(LOCAL_SELECT)
    assert state.attributes[ATTR_OPTIONS] == ["/", "/parts/clip.gcode"]
    assert state.state == "unknown"
    assert printer.received[-1].data == {"path": "/parts"}

    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: LOCAL_SELECT, ATTR_OPTION: "/"},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert "/cube.gcode" in hass.states.get(LOCAL_SELECT).attributes[ATTR_OPTIONS]


# --- deleting --------------------------------------------------------------------------------


async def test_delete_file(
    hass: HomeAssistant, coordinator: KobraCoordinator, printer: KobraSimulator, call: Any
) -> None:
    """A deleted file is gone from the printer and from the select."""
    await call("delete_file", storage="local", path="/benchy.gcode")
    await hass.async_block_till_done()
    assert "/benchy.gcode" not in printer.local_files
    assert "/cube.gcode" in printer.local_files
    assert hass.states.get(LOCAL_SELECT).attributes[ATTR_OPTIONS] == ["/parts/", "/cube.gcode"]

    delete = next(cmd for cmd in printer.received if cmd.action == "deleteLocal")
    assert delete.data == {"path": "/", "filename": "benchy.gcode"}

    await call("delete_file", storage="usb", path="/models/gear.gcode")
    assert "/models/gear.gcode" not in printer.usb_files


async def test_delete_missing_file(
    hass: HomeAssistant, coordinator: KobraCoordinator, printer: KobraSimulator, call: Any
) -> None:
    """Deleting a file that is not there is a clear error, and no delete is sent."""
    with pytest.raises(ServiceValidationError) as err:
        await call("delete_file", storage="local", path="/nothing.gcode")
    assert err.value.translation_key == "file_not_found"
    assert "/nothing.gcode" in str(err.value)

    with pytest.raises(ServiceValidationError) as err:
        await call("delete_file", storage="local", path="/parts")
    assert err.value.translation_key == "is_folder"
    assert sent(printer, "file", "deleteLocal") == 0
    assert "/parts/clip.gcode" in printer.local_files


# --- printing files on the printer -------------------------------------------------------------


async def test_print_local_file_from_select(
    hass: HomeAssistant, coordinator: KobraCoordinator, printer: KobraSimulator
) -> None:
    """Choose a file in the select, press the button: the printer prints it."""
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: LOCAL_SELECT, ATTR_OPTION: "/cube.gcode"},
        blocking=True,
    )
    assert state_of(hass, LOCAL_SELECT) == "/cube.gcode"
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: PRINT_LOCAL}, blocking=True
    )
    (start,) = starts(printer)
    assert start.data is not None
    assert start.data["filename"] == "cube.gcode"
    assert start.data["filepath"] == "/"
    assert start.data["filetype"] == 1
    assert printer.state.filename == "cube.gcode"
    assert printer.state.storage == LOCAL
    await wait_until(lambda: coordinator.state.phase is PrintPhase.PRINTING)
    await hass.async_block_till_done()
    assert state_of(hass, PRINT_STATE) == "printing"

    # When the print ends the listings are read again.
    lists_before = sent(printer, "file", "listLocal"), sent(printer, "file", "listUdisk")
    await wait_until(lambda: coordinator.state.phase is PrintPhase.FINISHED)
    await wait_until(
        lambda: (
            (sent(printer, "file", "listLocal"), sent(printer, "file", "listUdisk"))
            == (lists_before[0] + 1, lists_before[1] + 1)
        )
    )
    await hass.async_block_till_done()


async def test_print_usb_file_in_folder(
    hass: HomeAssistant, coordinator: KobraCoordinator, printer: KobraSimulator, call: Any
) -> None:
    """print_file starts a USB file in a folder with filetype 2 and the folder as filepath."""
    await call("print_file", storage="usb", path="/models/gear.gcode")
    (start,) = starts(printer)
    assert start.data is not None
    assert (start.data["filename"], start.data["filepath"], start.data["filetype"]) == (
        "gear.gcode",
        "/models",
        2,
    )
    assert printer.state.storage == USB
    assert printer.state.print_state in ("preheating", "printing")
    assert coordinator.state.job is not None
    assert coordinator.state.job.taskid == start.data["taskid"]


async def test_print_missing_or_unselected_file(
    hass: HomeAssistant, coordinator: KobraCoordinator, printer: KobraSimulator, call: Any
) -> None:
    """Nothing is sent for a file that is not there or when no file is chosen."""
    with pytest.raises(ServiceValidationError) as err:
        await call("print_file", storage="usb", path="/cube.gcode")
    assert err.value.translation_key == "file_not_found"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: PRINT_LOCAL}, blocking=True
        )
    assert err.value.translation_key == "no_file_selected"
    assert starts(printer) == []


async def test_print_refused_while_busy(
    hass: HomeAssistant,
    coordinator: KobraCoordinator,
    printer: KobraSimulator,
    call: Any,
    folders: dict[str, Path],
) -> None:
    """A print started while the printer is busy is refused and nothing is sent."""
    await printer.start_print("/benchy.gcode", LOCAL)
    await wait_until(
        lambda: coordinator.state.phase in (PrintPhase.PREHEATING, PrintPhase.PRINTING)
    )
    (folders["media"] / "cube.gcode").write_bytes(gcode(50))
    received = len(printer.received)

    with pytest.raises(ServiceValidationError) as err:
        await call("print_file", storage="local", path="/cube.gcode")
    assert err.value.translation_key == "printer_busy"
    assert "busy" in str(err.value)
    with pytest.raises(ServiceValidationError) as err:
        await call("upload_and_print", file="media-source://media_source/local/cube.gcode")
    assert err.value.translation_key == "printer_busy"
    with pytest.raises(ServiceValidationError) as err:
        await call("print_from_url", url="http://127.0.0.1:9/cube.gcode")
    assert err.value.translation_key == "printer_busy"

    assert len(printer.received) == received
    assert starts(printer) == []
    assert DATA_FILE_SHARE not in hass.data

    # Other work (levelling) makes the machine busy without any job.
    await wait_until(lambda: coordinator.state.phase is PrintPhase.FINISHED, timeout=15)
    await printer.set_other_work(True)
    await wait_until(lambda: state_of(hass, PRINT_STATE) == "busy")
    with pytest.raises(ServiceValidationError) as err:
        await call("print_file", storage="local", path="/cube.gcode")
    assert err.value.translation_key == "printer_busy"
    assert starts(printer) == []


async def test_print_refused_when_offline(
    hass: HomeAssistant, coordinator: KobraCoordinator, printer: KobraSimulator, call: Any
) -> None:
    """When the printer dropped off (its will was published) nothing is sent."""
    printer.crash()
    await wait_until(lambda: coordinator.state.online is False)
    with pytest.raises(HomeAssistantError) as err:
        await call("print_file", storage="local", path="/cube.gcode")
    assert err.value.translation_key == "printer_offline"
    assert starts(printer) == []


# --- upload_and_print ------------------------------------------------------------------------


async def test_upload_and_print_end_to_end(
    hass: HomeAssistant,
    coordinator: KobraCoordinator,
    printer: KobraSimulator,
    call: Any,
    folders: dict[str, Path],
    http_base: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The printer downloads the file from Home Assistant, the md5 matches and the print runs."""
    content = gcode()
    (folders["media"] / "my part.gcode").write_bytes(content)

    await call("upload_and_print", file="media-source://media_source/local/my%20part.gcode")

    (start,) = starts(printer)
    data = start.data
    assert data is not None
    assert data["filetype"] == 0
    assert data["filename"] == "my part.gcode"
    assert data["filesize"] == len(content)
    assert data["md5"] == hashlib.md5(content).hexdigest()
    url = data["url"]
    assert url.startswith(f"{http_base}/api/{DOMAIN}/files/")
    # The printer stored exactly what Home Assistant served and now prints it.
    stored = printer.local_files["/my part.gcode"]
    assert stored.md5 == data["md5"]
    assert stored.size == len(content)
    assert printer.state.print_state in ("preheating", "printing")
    await wait_until(lambda: coordinator.state.phase is PrintPhase.PRINTING)

    # The printer has the file: the link is withdrawn at once (security review L2; forged,
    # expired and swapped links are covered in test_file_link.py).
    assert len(hass.data[DATA_FILE_SHARE]) == 0
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        assert resp.status == 404


async def test_upload_and_print_allowlisted_path(
    hass: HomeAssistant,
    coordinator: KobraCoordinator,
    printer: KobraSimulator,
    call: Any,
    folders: dict[str, Path],
) -> None:
    """An absolute path inside allowlist_external_dirs works too."""
    path = folders["allowed"] / "clip.gcode"
    path.write_bytes(gcode(300))
    await call("upload_and_print", file=str(path))
    assert printer.local_files["/clip.gcode"].md5 == hashlib.md5(path.read_bytes()).hexdigest()


async def test_upload_tampered_file_fails(
    hass: HomeAssistant,
    coordinator: KobraCoordinator,
    printer: KobraSimulator,
    call: Any,
    folders: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A file changed after its md5 was computed is refused, or served to nobody (404)."""
    path = folders["media"] / "cube.gcode"
    path.write_bytes(gcode())
    real_hash, real_url = sources.hash_file, files.file_url

    def tamper() -> None:
        """Change one byte of the file (same size)."""
        data = bytearray(path.read_bytes())
        data[-2:-1] = b"5"
        path.write_bytes(bytes(data))

    def hash_then_tamper(
        file: Path, limit: int | None = None, scanner: Any = None
    ) -> tuple[str, int]:
        """Hash the file, then change it before it is shared."""
        result = real_hash(file, limit, scanner)
        tamper()
        return result

    monkeypatch.setattr(sources, "hash_file", hash_then_tamper)
    with pytest.raises(ServiceValidationError) as err:
        await call("upload_and_print", file="media-source://media_source/local/cube.gcode")
    assert err.value.translation_key == "file_changed"
    assert starts(printer) == []

    def url_then_tamper(hass: HomeAssistant, url_path: str) -> str:
        """Share the file, then change it before the printer fetches it."""
        tamper()
        return real_url(hass, url_path)

    monkeypatch.setattr(sources, "hash_file", real_hash)
    monkeypatch.setattr(files, "file_url", url_then_tamper)
    lists_before = sent(printer, "file", "listLocal"), sent(printer, "file", "listUdisk")
    with pytest.raises(HomeAssistantError) as err:
        await call("upload_and_print", file="media-source://media_source/local/cube.gcode")
    assert err.value.translation_key == "print_failed"
    assert coordinator.state.phase is PrintPhase.FAILED
    await wait_until(lambda: state_of(hass, PRINT_STATE) == "failed")
    assert "/cube.gcode" in printer.local_files  # the original cube, not the download
    assert printer.local_files["/cube.gcode"].md5 is None
    # The link of a failed job is withdrawn at once.
    assert len(hass.data[DATA_FILE_SHARE]) == 0
    # The end of the job re-reads the listings.
    await wait_until(
        lambda: (
            (sent(printer, "file", "listLocal"), sent(printer, "file", "listUdisk"))
            == (lists_before[0] + 1, lists_before[1] + 1)
        )
    )
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("name", "content", "key"),
    [
        ("model.stl", b"solid cube\n", "not_gcode"),
        ("binary.gcode", b"GCDE\x00\x01\x00\x00binary", "not_gcode"),
    ],
)
async def test_upload_rejects_non_gcode(
    hass: HomeAssistant,
    coordinator: KobraCoordinator,
    printer: KobraSimulator,
    call: Any,
    folders: dict[str, Path],
    name: str,
    content: bytes,
    key: str,
) -> None:
    """Files that are not G-code text are refused before anything is sent."""
    (folders["media"] / name).write_bytes(content)
    with pytest.raises(ServiceValidationError) as err:
        await call("upload_and_print", file=f"media-source://media_source/local/{name}")
    assert err.value.translation_key == key
    assert name in str(err.value)
    assert starts(printer) == []


async def test_upload_rejects_large_file(
    hass: HomeAssistant,
    coordinator: KobraCoordinator,
    printer: KobraSimulator,
    call: Any,
    folders: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A file above the size limit is refused before anything is sent."""
    monkeypatch.setattr(sources, "MAX_FILE_SIZE", 1024)
    (folders["media"] / "big.gcode").write_bytes(gcode(100))
    with pytest.raises(ServiceValidationError) as err:
        await call("upload_and_print", file="media-source://media_source/local/big.gcode")
    assert err.value.translation_key == "file_too_large"
    assert starts(printer) == []


@pytest.mark.parametrize(
    ("source", "key"),
    [
        ("/etc/hostname", "path_not_allowed"),
        ("relative/cube.gcode", "path_not_allowed"),
        ("media-source://media_source/local/../allowed/x.gcode", "invalid_media_source"),
        ("media-source://media_source/nowhere/x.gcode", "invalid_media_source"),
        ("media-source://tts/x.gcode", "invalid_media_source"),
        ("media-source://media_source/local/missing.gcode", "source_not_found"),
    ],
)
async def test_upload_rejects_bad_sources(
    hass: HomeAssistant,
    coordinator: KobraCoordinator,
    printer: KobraSimulator,
    call: Any,
    folders: dict[str, Path],
    source: str,
    key: str,
) -> None:
    """Only media files and allow-listed paths can be sent."""
    with pytest.raises(ServiceValidationError) as err:
        await call("upload_and_print", file=source)
    assert err.value.translation_key == key
    assert starts(printer) == []


async def test_upload_rejects_symlink_out_of_media(
    hass: HomeAssistant,
    coordinator: KobraCoordinator,
    printer: KobraSimulator,
    call: Any,
    folders: dict[str, Path],
    tmp_path: Path,
) -> None:
    """A symlink in the media folder cannot reach a file outside it."""
    secret = tmp_path / "secret.gcode"
    secret.write_bytes(gcode(10))
    (folders["media"] / "link.gcode").symlink_to(secret)
    with pytest.raises(ServiceValidationError) as err:
        await call("upload_and_print", file="media-source://media_source/local/link.gcode")
    assert err.value.translation_key == "invalid_media_source"
    assert starts(printer) == []


# --- print_from_url ---------------------------------------------------------------------------


@pytest.fixture
async def file_server(socket_enabled: None) -> AsyncIterator[tuple[str, dict[str, bytes]]]:
    """Run a plain HTTP server on loopback serving the bytes put into its dict."""
    files: dict[str, bytes] = {}
    async with serve_files(files) as url:
        yield url, files


async def test_print_from_url(
    hass: HomeAssistant,
    coordinator: KobraCoordinator,
    printer: KobraSimulator,
    call: Any,
    file_server: tuple[str, dict[str, bytes]],
) -> None:
    """Home Assistant hashes the URL's file; the printer downloads the same bytes and prints."""
    base, files = file_server
    files["vase.gcode"] = content = gcode()
    await call("print_from_url", url=f"{base}/vase.gcode", filename="spiral vase.gcode")
    (start,) = starts(printer)
    assert start.data is not None
    assert start.data["url"] == f"{base}/vase.gcode"
    assert start.data["md5"] == hashlib.md5(content).hexdigest()
    assert start.data["filesize"] == len(content)
    assert start.data["filename"] == "spiral vase.gcode"
    assert printer.local_files["/spiral vase.gcode"].md5 == start.data["md5"]
    await wait_until(lambda: coordinator.state.phase is PrintPhase.PRINTING)


async def test_print_from_url_errors(
    hass: HomeAssistant,
    coordinator: KobraCoordinator,
    printer: KobraSimulator,
    call: Any,
    file_server: tuple[str, dict[str, bytes]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Unreachable, non-G-code, too large or non-HTTP URLs are refused before anything is sent."""
    base, files = file_server
    with pytest.raises(HomeAssistantError) as err:
        await call("print_from_url", url=f"{base}/missing.gcode")
    # Nothing in the message tells what answered on which port (security review L1).
    assert err.value.translation_key == "url_download_failed"
    assert "404" not in str(err.value)

    with pytest.raises(ServiceValidationError) as err:
        await call("print_from_url", url=f"{base}/model.stl")
    assert err.value.translation_key == "not_gcode"

    with pytest.raises(ServiceValidationError) as err:
        await call("print_from_url", url="ftp://127.0.0.1/cube.gcode")
    assert err.value.translation_key == "invalid_url"

    files["big.gcode"] = gcode(100)
    monkeypatch.setattr(sources, "MAX_FILE_SIZE", 1024)
    with pytest.raises(ServiceValidationError) as err:
        await call("print_from_url", url=f"{base}/big.gcode")
    assert err.value.translation_key == "file_too_large"

    files["blob.gcode"] = b"\x00\x01" * 10
    with pytest.raises(ServiceValidationError) as err:
        await call("print_from_url", url=f"{base}/blob.gcode")
    assert err.value.translation_key == "not_gcode"
    assert starts(printer) == []


# --- the signed links on their own ----------------------------------------------------------


def test_file_share_signatures(tmp_path: Path) -> None:
    """Tokens are bound to their file name and expiry; tampering or time makes them unknown."""
    now = [dt_util.utcnow()]
    share = FileShare(now=lambda: now[0])
    path = tmp_path / "a.gcode"
    url = share.add(path, "a b.gcode", timedelta(minutes=5))
    prefix, token, name = url.rsplit("/", 2)
    assert prefix == file_share.FILES_URL
    assert name == "a%20b.gcode"
    assert share.get(token, "a b.gcode") == path
    assert share.get(token, "a.gcode") is None
    share_id, signature = token.split(".")
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    assert share.get(f"{share_id}.{flipped}", "a b.gcode") is None
    assert share.get(f"{share_id}.{signature}x", "a b.gcode") is None
    assert share.get(f"other.{signature}", "a b.gcode") is None
    assert share.get(share_id, "a b.gcode") is None

    other = FileShare(now=lambda: now[0])
    assert other.get(token, "a b.gcode") is None  # another key: nothing carries over

    now[0] += timedelta(minutes=5)
    assert share.get(token, "a b.gcode") is None
    assert len(share) == 0

    url2 = share.add(path, "c.gcode")
    share.revoke(url2)
    assert share.get(url2.rsplit("/", 2)[1], "c.gcode") is None


async def test_action_descriptions(hass: HomeAssistant, http_base: str) -> None:
    """services.yaml parses, lists the six actions and matches the translated names and fields."""
    assert await async_setup_component(hass, DOMAIN, {})
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    strings_path = Path(sources.__file__).parent / "strings.json"
    strings = json.loads(await hass.async_add_executor_job(strings_path.read_text))["services"]
    assert (
        set(descriptions)
        == set(strings)
        == {
            "list_files",
            "print_file",
            "delete_file",
            "print_from_url",
            "upload_and_print",
            "announce_firmware",
        }
    )
    for action, description in descriptions.items():
        # Older Home Assistant fills in the translated name; newer leaves it to the frontend.
        assert description.get("name", strings[action]["name"]) == strings[action]["name"]
        assert set(description["fields"]) == set(strings[action]["fields"])
        assert description["fields"]["device_id"]["required"] is True
