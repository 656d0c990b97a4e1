"""Command builder tests: every catalogue command, its envelope, topics and reply matching."""

from __future__ import annotations

from collections.abc import Callable
import json
import time
from typing import Any
import uuid

import pytest

from custom_components.anycubic_kobra2.kobra2 import commands as c
from custom_components.anycubic_kobra2.kobra2.commands import Command
from custom_components.anycubic_kobra2.kobra2.models import SpeedMode, Storage, TopicStyle
from custom_components.anycubic_kobra2.kobra2.parser import parse_report
from tests.helpers.payloads import MODEL_ID, PRINT_DATA, PRINTER_ID, encode, envelope, report_topic

BASE = f"anycubic/anycubicCloud/v1/server/printer/{MODEL_ID}/{PRINTER_ID}"
URL = "http://192.168.0.100:5000/uploads/1b2c/cube.gcode"
MD5 = "9e107d9d372bb6826bd81d3542a419d6"

# (builder, type, action, data) for every command of the protocol doc's catalogue (§6).
CATALOGUE: list[tuple[str, Callable[[], Command], str, str, dict[str, Any] | None]] = [
    ("list local", lambda: c.list_files(Storage.LOCAL), "file", "listLocal", {"path": "/"}),
    ("list usb", lambda: c.list_files("usb", "/a/b"), "file", "listUdisk", {"path": "/a/b"}),
    (
        "delete local",
        lambda: c.delete_file(Storage.LOCAL, "/parts/cube.gcode"),
        "file",
        "deleteLocal",
        {"path": "/parts", "filename": "cube.gcode"},
    ),
    (
        "delete usb at root",
        lambda: c.delete_file(Storage.USB, "/cube.gcode"),
        "file",
        "deleteUdisk",
        {"path": "/", "filename": "cube.gcode"},
    ),
    ("query status", c.query_status, "status", "query", None),
    ("query print", c.query_print, "print", "query", {"taskid": "0"}),
    ("query print task", lambda: c.query_print("77"), "print", "query", {"taskid": "77"}),
    (
        "start local",
        lambda: c.start_local_print("cube.gcode", taskid="482913"),
        "print",
        "start",
        {
            "filename": "cube.gcode",
            "filepath": "/",
            "taskid": "482913",
            "task_mode": 1,
            "filetype": 1,
        },
    ),
    (
        "start usb",
        lambda: c.start_usb_print("cube.gcode", "/parts", "9"),
        "print",
        "start",
        {
            "filename": "cube.gcode",
            "filepath": "/parts",
            "taskid": "9",
            "task_mode": 1,
            "filetype": 2,
        },
    ),
    (
        "start url",
        lambda: c.start_url_print(URL, MD5.upper(), 1873421, "cube.gcode", "5"),
        "print",
        "start",
        {
            "url": URL,
            "md5": MD5,
            "filesize": 1873421,
            "filename": "cube.gcode",
            "filetype": 0,
            "taskid": "5",
            "task_mode": 1,
        },
    ),
    ("pause", lambda: c.pause_print("5"), "print", "pause", {"taskid": "5"}),
    ("resume", lambda: c.resume_print("5"), "print", "resume", {"taskid": "5"}),
    ("stop", lambda: c.stop_print("5"), "print", "stop", {"taskid": "5"}),
    ("cancel", lambda: c.cancel_print("5"), "print", "cancel", {"taskid": "5"}),
    (
        "update all settings",
        lambda: c.update_settings(
            "5",
            target_nozzle=210,
            target_bed=60.4,
            fan_speed_pct=80,
            speed_mode=SpeedMode.FAST,
            z_offset=-0.125,
        ),
        "print",
        "update",
        {
            "taskid": "5",
            "settings": {
                "target_nozzle_temp": 210,
                "target_hotbed_temp": 60,
                "fan_speed_pct": 80,
                "print_speed_mode": 3,
                "z_comp": -0.12,
            },
        },
    ),
    (
        "update zero values",
        lambda: c.update_settings(target_nozzle=0, target_bed=0, fan_speed_pct=0, z_offset=0),
        "print",
        "update",
        {
            "taskid": "0",
            "settings": {
                "target_nozzle_temp": 0,
                "target_hotbed_temp": 0,
                "fan_speed_pct": 0,
                "z_comp": 0.0,
            },
        },
    ),
    (
        "update speed mode int",
        lambda: c.update_settings(speed_mode=1),
        "print",
        "update",
        {"taskid": "0", "settings": {"print_speed_mode": 1}},
    ),
    ("query settings", c.query_settings, "print", "update", {"taskid": "0"}),
    ("slice param", lambda: c.get_slice_param("5"), "print", "getSliceParam", {"taskid": "5"}),
    (
        "local task trans",
        lambda: c.local_task_trans("5", "12"),
        "print",
        "localtasktrans",
        {"taskid": "5", "localtask": "12"},
    ),
    ("report version", c.report_version, "ota", "reportVersion", None),
    (
        "ota update",
        lambda: c.ota_update("https://fw.example/k2.swu", MD5, "3.1.4", 42, "k2.swu", force=True),
        "ota",
        "update",
        {
            "force_update": True,
            "firmware_md5": MD5,
            "firmware_version": "3.1.4",
            "firmware_name": "k2.swu",
            "firmware_url": "https://fw.example/k2.swu",
            "firmware_size": 42,
        },
    ),
    (
        "start capture",
        lambda: c.start_capture("ap-1", "sid", "skey", "tok"),
        "video",
        "startCapture",
        {"region": "ap-1", "tmpSecretId": "sid", "tmpSecretKey": "skey", "sessionToken": "tok"},
    ),
    ("cloud recommend", c.cloud_recommend_list, "file", "cloudRecommendList", None),
]

IDS = [entry[0] for entry in CATALOGUE]


@pytest.mark.parametrize(("name", "build", "msg_type", "action", "data"), CATALOGUE, ids=IDS)
def test_catalogue_command(
    name: str,
    build: Callable[[], Command],
    msg_type: str,
    action: str,
    data: dict[str, Any] | None,
) -> None:
    before = time.time_ns() // 1_000_000
    command = build()
    after = time.time_ns() // 1_000_000
    assert (command.type, command.action) == (msg_type, action)
    assert (dict(command.data) if command.data is not None else None) == data
    parsed_id = uuid.UUID(command.msgid)
    assert parsed_id.version == 4
    assert str(parsed_id) == command.msgid
    assert before <= command.timestamp <= after

    raw = command.payload()
    body = json.loads(raw)
    assert list(body) == ["type", "action", "msgid", "timestamp", "data"]
    assert body == {
        "type": msg_type,
        "action": action,
        "msgid": command.msgid,
        "timestamp": command.timestamp,
        "data": data,
    }
    # Every slash is sent escaped, as the known clients do.
    assert raw.count(b"/") == raw.count(b"\\/")


@pytest.mark.parametrize(("name", "build", "msg_type", "action", "data"), CATALOGUE, ids=IDS)
def test_catalogue_topics(
    name: str,
    build: Callable[[], Command],
    msg_type: str,
    action: str,
    data: dict[str, Any] | None,
) -> None:
    command = build()
    assert command.topic(MODEL_ID, PRINTER_ID) == f"{BASE}/{msg_type}"
    assert command.topic(MODEL_ID, PRINTER_ID, TopicStyle.TYPE) == f"{BASE}/{msg_type}"
    assert (
        command.topic(MODEL_ID, PRINTER_ID, TopicStyle.TYPE_ACTION) == f"{BASE}/{msg_type}/{action}"
    )
    assert command.topic(MODEL_ID, PRINTER_ID, TopicStyle.ACTION) == f"{BASE}/{action}"


def test_catalogue_is_complete() -> None:
    builders = {
        name
        for name in c.__all__
        if callable(getattr(c, name))
        and name not in {"Command", "new_msgid", "new_taskid", "now_ms"}
    }
    covered = {"list_files", "delete_file", "query_status", "query_print", "start_local_print"}
    covered |= {"start_usb_print", "start_url_print", "pause_print", "resume_print", "stop_print"}
    covered |= {"cancel_print", "update_settings", "query_settings", "get_slice_param"}
    covered |= {"local_task_trans", "report_version", "ota_update", "start_capture"}
    covered |= {"cloud_recommend_list"}
    assert builders == covered


def test_escaped_payload_round_trips_awkward_strings() -> None:
    name = 'we\\ird/na"me ü €.gcode'
    command = c.start_local_print(name, "/a\\/b/", taskid="1")
    raw = command.payload()
    assert raw.isascii()
    assert raw.count(b"/") == raw.count(b"\\/")
    data = json.loads(raw)["data"]
    assert data["filename"] == name
    assert data["filepath"] == "/a\\/b/"


def test_every_command_gets_a_fresh_msgid() -> None:
    ids = {c.query_status().msgid for _ in range(50)}
    assert len(ids) == 50


def test_new_taskids_are_decimal_strings_in_range() -> None:
    taskids = [c.start_local_print("a.gcode").taskid for _ in range(200)]
    for taskid in taskids:
        assert taskid is not None
        assert taskid.isdecimal()
        assert 1 <= int(taskid) <= 1_000_000
    assert len(set(taskids)) > 150


def test_topic_normalises_the_printer_id() -> None:
    topic = c.query_status().topic(MODEL_ID, PRINTER_ID.upper())
    assert topic == f"{BASE}/status"


@pytest.mark.parametrize(
    ("model_id", "printer_id"),
    [
        ("20021", "+"),
        ("20021", "#"),
        ("20021", PRINTER_ID[:-1] + "/"),
        ("20021", ""),
        ("+", PRINTER_ID),
        ("#", PRINTER_ID),
        ("200/21", PRINTER_ID),
        ("", PRINTER_ID),
    ],
)
def test_topic_refuses_wildcards_and_bad_ids(model_id: str, printer_id: str) -> None:
    with pytest.raises(ValueError):
        c.query_status().topic(model_id, printer_id)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"target_nozzle": 261},
        {"target_nozzle": -1},
        {"target_bed": 111},
        {"fan_speed_pct": 101},
        {"fan_speed_pct": -1},
        {"z_offset": float("nan")},
        {"z_offset": 6.0},
        {"speed_mode": 0},
        {"speed_mode": 4},
    ],
)
def test_update_settings_rejects_bad_values(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        c.update_settings(**kwargs)


@pytest.mark.parametrize(
    "kwargs", [{"target_nozzle": True}, {"fan_speed_pct": "50"}, {"speed_mode": True}]
)
def test_update_settings_rejects_wrong_types(kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        c.update_settings(**kwargs)


@pytest.mark.parametrize(
    "build",
    [
        lambda: c.delete_file(Storage.LOCAL, "/parts/"),
        lambda: c.delete_file(Storage.LOCAL, ""),
        lambda: c.list_files("floppy"),
        lambda: c.pause_print(""),
        lambda: c.start_local_print(""),
        lambda: c.start_url_print("ftp://x/a.gcode", MD5, 1, "a.gcode"),
        lambda: c.start_url_print(URL, "abc", 1, "a.gcode"),
        lambda: c.start_url_print(URL, MD5, -1, "a.gcode"),
        lambda: c.start_url_print(URL, MD5, True, "a.gcode"),
        lambda: c.ota_update("file:///x", MD5, "3.1.4", 1, "x"),
        lambda: c.local_task_trans("1", ""),
    ],
)
def test_builders_reject_bad_arguments(build: Callable[[], Command]) -> None:
    with pytest.raises(ValueError):
        build()


def test_command_data_cannot_be_changed_after_creation() -> None:
    data = {"taskid": "1"}
    command = Command("print", "pause", data)
    data["taskid"] = "2"
    assert command.taskid == "1"
    with pytest.raises(TypeError):
        command.data["taskid"] = "3"  # type: ignore[index]


def test_repr_hides_cloud_secrets() -> None:
    text = repr(c.start_capture("ap-1", "secret-id-1", "secret-key-2", "token-3"))
    assert "ap-1" in text
    for secret in ("secret-id-1", "secret-key-2", "token-3"):
        assert secret not in text
    assert "'***'" in text


# --- matching replies ------------------------------------------------------------------------


def reply(msg_type: str, action: str, state: str = "done", data: Any = None, **extra: Any) -> Any:
    """Parse a report as the printer would publish it."""
    return parse_report(
        report_topic(msg_type), encode(envelope(msg_type, action, state, data, **extra))
    )


def test_matches_same_type_action_and_taskid() -> None:
    command = c.pause_print("482913")
    assert command.matches(reply("print", "pause", "pausing", {**PRINT_DATA}))
    assert not command.matches(reply("print", "pause", "paused", {**PRINT_DATA, "taskid": "9"}))
    assert not command.matches(reply("print", "resume", "resuming", {**PRINT_DATA}))
    assert not command.matches(reply("print", "start", "printing", {**PRINT_DATA}))


def test_matches_when_one_side_has_no_taskid() -> None:
    assert c.pause_print("482913").matches(reply("print", "pause", "paused", None))
    assert c.query_settings().matches(reply("print", "update", "updated", {"taskid": "482913"}))
    assert c.update_settings("7", fan_speed_pct=5).matches(
        reply("print", "update", "updated", {"taskid": "0"})
    )
    assert not c.update_settings("7", fan_speed_pct=5).matches(
        reply("print", "update", "updated", {"taskid": "8"})
    )


def test_matches_replies_under_another_action() -> None:
    assert c.query_status().matches(reply("status", "workReport", "free"))
    assert c.query_print().matches(reply("print", "start", "printing", PRINT_DATA))
    assert c.cancel_print("482913").matches(reply("print", "stop", "stopping", PRINT_DATA))
    assert not c.query_status().matches(reply("print", "start", "printing", PRINT_DATA))


def test_matches_by_echoed_msgid() -> None:
    command = c.query_print()
    assert command.matches(reply("print", "update", "updated", None, msgid=command.msgid))
    assert not command.matches(reply("status", "workReport", "free", msgid=command.msgid))


def test_temperature_reports_never_match_a_command() -> None:
    temperature = reply("tempature", "auto", data={"curr_nozzle_temp": 20})
    for _, build, *_ in CATALOGUE:
        assert not build().matches(temperature)


def test_matches_file_slice_and_ota_replies() -> None:
    assert c.list_files(Storage.USB).matches(reply("file", "listUdisk", data={"records": []}))
    assert not c.list_files(Storage.LOCAL).matches(reply("file", "listUdisk", data={"records": []}))
    assert c.get_slice_param("5").matches(reply("print", "getSliceParam", data={"taskid": "5"}))
    assert not c.get_slice_param("5").matches(reply("print", "getSliceParam", data={"taskid": "6"}))
    assert c.report_version().matches(reply("ota", "reportVersion", data={"firmware_version": "3"}))
    assert c.local_task_trans("5", "1").matches(
        reply("print", "localtasktrans", data={"taskid": "5"})
    )
    assert not c.local_task_trans("5", "1").matches(
        reply("print", "localtasktrans", data={"taskid": "4"})
    )
