"""Parser tests: topics, every modelled report, firmware quirks and malformed input."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
import json
from typing import Any

import pytest

from custom_components.anycubic_kobra2.kobra2 import decode, parser
from custom_components.anycubic_kobra2.kobra2.decode import decode_payload
from custom_components.anycubic_kobra2.kobra2.exceptions import KobraParseError
from custom_components.anycubic_kobra2.kobra2.limits import MAX_PAYLOAD_BYTES
from custom_components.anycubic_kobra2.kobra2.models import (
    FanReport,
    FileDeleteReport,
    FileListReport,
    FirmwareReport,
    MachineStatus,
    OnlineReport,
    OtaProgressReport,
    PrintPhase,
    PrintReport,
    SettingsReport,
    SliceParamReport,
    SpeedMode,
    StatusReport,
    Storage,
    TemperatureReport,
    UnknownReport,
)
from custom_components.anycubic_kobra2.kobra2.parser import parse_report, parse_topic
from tests.helpers.payloads import (
    LIST_DATA,
    MODEL_ID,
    PRINT_DATA,
    PRINTER_ID,
    SAMPLES,
    SETTINGS_DATA,
    TEMP_KU_INIT,
    TEMP_KUGO_TABS,
    encode,
    envelope,
    report_topic,
)


@pytest.fixture(params=["orjson", "stdlib"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with orjson and again with the standard-library fallback."""
    if request.param == "stdlib":
        monkeypatch.setattr(decode, "_orjson", None)
    else:
        assert decode._orjson is not None, "orjson should be installed with Home Assistant"
    return request.param


def parse(msg_type: str, body: Any) -> Any:
    """Parse a body (dict or bytes) as a report of msg_type."""
    payload = body if isinstance(body, bytes | bytearray | memoryview | str) else encode(body)
    return parse_report(report_topic(msg_type), payload)


# --- topics ------------------------------------------------------------------------------


def test_parse_topic_reads_model_id_and_type() -> None:
    info = parse_topic(report_topic("tempature"))
    assert info is not None
    assert (info.model_id, info.printer_id, info.type) == (MODEL_ID, PRINTER_ID, "tempature")


def test_parse_topic_lowercases_the_printer_id() -> None:
    info = parse_topic(report_topic("print", "20023", PRINTER_ID.upper()))
    assert info is not None
    assert info.printer_id == PRINTER_ID
    assert info.model_id == "20023"


@pytest.mark.parametrize(
    "topic",
    [
        "",
        "anycubic/anycubicCloud/v1/printer/public/20021",
        report_topic("print").replace("/report", "/response"),
        report_topic("print") + "/extra",
        report_topic("print").replace("/printer/public/", "/server/printer/"),
        report_topic("print").replace("anycubicCloud", "otherCloud"),
        report_topic("print", printer_id=PRINTER_ID[:31]),
        report_topic("print", printer_id=PRINTER_ID[:31] + "g"),
        report_topic("print", printer_id=PRINTER_ID + "0"),
        report_topic("print", model_id="+"),
        report_topic("print", model_id=""),
        report_topic(""),
        report_topic("a b"),
        "/" + report_topic("print"),
        report_topic("print") + "/",
    ],
)
def test_parse_topic_rejects_other_topics(topic: str) -> None:
    assert parse_topic(topic) is None
    with pytest.raises(KobraParseError, match="topic"):
        parse_report(topic, SAMPLES["fan"][1])


# --- temperature and fan --------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [(TEMP_KU_INIT, 20.0), (TEMP_KUGO_TABS, 27.0)])
def test_raw_temperature_captures(backend: str, raw: bytes, expected: float) -> None:
    assert b"\t" in TEMP_KUGO_TABS
    report = parse("tempature", raw)
    assert isinstance(report, TemperatureReport)
    assert (report.nozzle, report.bed) == (expected, expected)
    assert (report.target_nozzle, report.target_bed) == (0.0, 0.0)
    assert report.envelope.type == "tempature"
    assert report.envelope.action == "auto"
    assert report.envelope.code == 200
    assert report.envelope.msg == ""
    assert report.printer_id == PRINTER_ID
    assert report.model_id == MODEL_ID


def test_raw_capture_envelope_values() -> None:
    report = parse("tempature", TEMP_KUGO_TABS)
    assert report.envelope.msgid == "77350b05-e3d9-4a10-9c12-502a439d7c3d"
    assert report.envelope.timestamp == 1709681948443
    assert report.envelope.state == "done"


def test_temperature_action_report_is_accepted() -> None:
    data = {"curr_hotbed_temp": 55.5, "curr_nozzle_temp": 201, "target_nozzle_temp": 205}
    report = parse("tempature", envelope("tempature", "report", data=data))
    assert isinstance(report, TemperatureReport)
    assert (report.nozzle, report.bed, report.target_nozzle) == (201.0, 55.5, 205.0)
    assert report.target_bed is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(20, 20.0), ("21.5", 21.5), ("abc", None), (None, None), (True, None), ([1], None)]
    + [({"a": 1}, None), (1e300, None), (-500, None), ("nan", None), ("inf", None)],
)
def test_temperature_value_coercion(value: Any, expected: float | None) -> None:
    report = parse("tempature", envelope("tempature", "auto", data={"curr_nozzle_temp": value}))
    assert report.nozzle == expected


def test_fan_report() -> None:
    report = parse("fan", SAMPLES["fan"][1])
    assert isinstance(report, FanReport)
    assert report.fan_speed_pct == 100


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (55, 55), (101, None), (-1, None)])
def test_fan_speed_range(value: int, expected: int | None) -> None:
    report = parse("fan", envelope("fan", "auto", data={"fan_speed_pct": value}))
    assert report.fan_speed_pct == expected


# --- status and last will -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [("free", MachineStatus.FREE), ("busy", MachineStatus.BUSY), ("levelling", None), ("", None)],
)
def test_status_work_report(state: str, expected: MachineStatus | None) -> None:
    report = parse("status", envelope("status", "workReport", state))
    assert isinstance(report, StatusReport)
    assert report.status == expected
    assert report.raw_state == state


@pytest.mark.parametrize(
    ("state", "online"), [("online", True), ("offline", False), ("rebooting", False), ("", False)]
)
def test_last_will(state: str, online: bool) -> None:
    report = parse("lastWill", envelope("lastWill", "onlineReport", state, msg="device offline"))
    assert isinstance(report, OnlineReport)
    assert report.online is online


def test_last_will_without_action() -> None:
    body = envelope("lastWill", "onlineReport", "offline")
    del body["action"]
    report = parse("lastWill", body)
    assert isinstance(report, OnlineReport)
    assert report.online is False


def test_status_and_last_will_are_separate_reports() -> None:
    status = parse("status", SAMPLES["status_busy"][1])
    will = parse("lastWill", SAMPLES["online"][1])
    assert isinstance(status, StatusReport)
    assert isinstance(will, OnlineReport)
    assert not hasattr(status, "online")
    assert not hasattr(will, "status")


# --- print jobs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "state", "phase"),
    [
        ("start", "downloading", PrintPhase.DOWNLOADING),
        ("start", "checking", PrintPhase.CHECKING),
        ("start", "preheating", PrintPhase.PREHEATING),
        ("start", "printing", PrintPhase.PRINTING),
        ("start", "finished", PrintPhase.FINISHED),
        ("start", "failed", PrintPhase.FAILED),
        ("stop", "failed", PrintPhase.FAILED),
        ("pause", "pausing", PrintPhase.PAUSING),
        ("pause", "paused", PrintPhase.PAUSED),
        ("resume", "resuming", PrintPhase.RESUMING),
        ("resume", "resumed", PrintPhase.PRINTING),
        ("stop", "stopping", PrintPhase.STOPPING),
        ("stop", "stoped", PrintPhase.STOPPED),
        ("start", "stoped", PrintPhase.STOPPED),
        ("stop", "stopped", PrintPhase.STOPPED),
        ("done", "done", PrintPhase.FINISHED),
        ("done", "", PrintPhase.FINISHED),
        ("query", "done", None),
        ("start", "warming", None),
        ("cancel", "stopping", PrintPhase.STOPPING),
    ],
)
def test_print_phases(action: str, state: str, phase: PrintPhase | None) -> None:
    report = parse("print", envelope("print", action, state, PRINT_DATA))
    assert isinstance(report, PrintReport)
    assert report.phase is phase
    assert report.raw_state == state


def test_printing_report_fields_and_layer_quirk() -> None:
    report = parse("print", SAMPLES["printing"][1])
    assert isinstance(report, PrintReport)
    job = report.job
    assert job.taskid == "482913"
    assert job.localtask is None
    assert job.filename == "cube.gcode"
    assert job.progress == 42
    assert job.print_time_min == 35
    assert job.remain_time_min is None  # the Kobra 2 sends 0
    assert job.filament_used_mm == 1234.0
    assert job.curr_layer is None  # curr_layer 0 with total_layers -1
    assert job.total_layers is None
    assert job.download_progress is None
    assert job.message == ""


def test_real_layer_counts_are_kept() -> None:
    data = {**PRINT_DATA, "curr_layer": 12, "total_layers": 250, "remain_time": 17}
    job = parse("print", envelope("print", "start", "printing", data)).job
    assert (job.curr_layer, job.total_layers, job.remain_time_min) == (12, 250, 17)


@pytest.mark.parametrize("total", [0, -1, None, "x"])
def test_layers_are_dropped_without_a_real_total(total: Any) -> None:
    data = {**PRINT_DATA, "curr_layer": 5, "total_layers": total}
    job = parse("print", envelope("print", "start", "printing", data)).job
    assert job.curr_layer is None
    assert job.total_layers is None


def test_download_progress_is_not_print_progress() -> None:
    report = parse("print", SAMPLES["downloading"][1])
    assert report.phase is PrintPhase.DOWNLOADING
    assert report.job.download_progress == 37
    assert report.job.progress is None


def test_failed_print_carries_the_message() -> None:
    body = envelope("print", "start", "failed", {"taskid": "7"}, msg="md5 mismatch", code=500)
    report = parse("print", body)
    assert report.phase is PrintPhase.FAILED
    assert report.job.message == "md5 mismatch"
    assert report.envelope.code == 500


def test_message_is_empty_unless_failed() -> None:
    report = parse("print", envelope("print", "start", "printing", PRINT_DATA, msg="done"))
    assert report.job.message == ""


@pytest.mark.parametrize(
    ("progress", "expected"),
    [("abc", None), ("42", 42), (42.9, 42), (150, None), (-3, None), (None, None), ([], None)],
)
def test_progress_wrong_types(progress: Any, expected: int | None) -> None:
    data = {**PRINT_DATA, "progress": progress}
    assert parse("print", envelope("print", "start", "printing", data)).job.progress == expected


def test_numeric_taskid_is_read_as_string() -> None:
    data = {**PRINT_DATA, "taskid": 482913, "localtask": 77}
    job = parse("print", envelope("print", "start", "printing", data)).job
    assert (job.taskid, job.localtask) == ("482913", "77")


@pytest.mark.parametrize("data", [None, [], "text", 5, {}])
def test_print_report_without_usable_data(data: Any) -> None:
    report = parse("print", envelope("print", "pause", "paused", data))
    assert isinstance(report, PrintReport)
    assert report.phase is PrintPhase.PAUSED
    assert report.job.taskid is None
    assert report.job.progress is None


# --- settings and slicer parameters --------------------------------------------------------


def test_settings_snapshot() -> None:
    report = parse("print", SAMPLES["settings"][1])
    assert isinstance(report, SettingsReport)
    assert report.taskid is None  # "0" means no particular job (NO_TASK_IDS)
    assert (report.nozzle, report.bed) == (210.0, 60.0)
    assert (report.target_nozzle, report.target_bed) == (210.0, 60.0)
    assert report.fan_speed_pct == 100
    assert report.speed_mode is SpeedMode.NORMAL
    assert report.z_offset == 0.0
    assert report.print_speed_pct is None


@pytest.mark.parametrize(
    ("z_comp", "expected"),
    [(0.25, 0.25), ("0.25", 0.25), ("-0.1", -0.1), (-1, -1.0), ("1", 1.0), ("abc", None)]
    + [("", None), (None, None), (True, None), ("0x10", None), (999, None)],
)
def test_z_comp_as_string_or_number(z_comp: Any, expected: float | None) -> None:
    data = {**SETTINGS_DATA, "settings": {**SETTINGS_DATA["settings"], "z_comp": z_comp}}
    assert parse("print", envelope("print", "update", "updated", data)).z_offset == expected


@pytest.mark.parametrize(
    ("mode", "expected"),
    [(1, SpeedMode.SLOW), (2, SpeedMode.NORMAL), (3, SpeedMode.FAST), ("3", SpeedMode.FAST)]
    + [(0, None), (4, None), (None, None), ("fast", None)],
)
def test_speed_mode(mode: Any, expected: SpeedMode | None) -> None:
    data = {**SETTINGS_DATA, "settings": {**SETTINGS_DATA["settings"], "print_speed_mode": mode}}
    assert parse("print", envelope("print", "update", "updated", data)).speed_mode is expected


def test_settings_given_as_json_string_and_print_speed_pct() -> None:
    settings = {**SETTINGS_DATA["settings"], "print_speed_pct": 120}
    data = {**SETTINGS_DATA, "settings": json.dumps(settings)}
    report = parse("print", envelope("print", "update", "updated", data))
    assert report.print_speed_pct == 120
    assert report.target_nozzle == 210.0


def test_settings_fall_back_to_top_level_keys() -> None:
    report = parse("print", envelope("print", "update", "updated", {"fan_speed_pct": 30}))
    assert isinstance(report, SettingsReport)
    assert report.fan_speed_pct == 30
    assert report.taskid is None
    assert report.z_offset is None


def test_settings_that_are_not_an_object_are_malformed() -> None:
    data = {**SETTINGS_DATA, "settings": [1, 2]}
    with pytest.raises(KobraParseError, match="settings"):
        parse("print", envelope("print", "update", "updated", data))


@pytest.mark.parametrize(
    "slice_param",
    [{"layers": 120, "material_name": "PLA"}, json.dumps({"layers": 120, "material_name": "PLA"})],
)
def test_slice_param_object_or_json_string(slice_param: Any) -> None:
    data = {"taskid": "482913", "slice_param": slice_param}
    report = parse("print", envelope("print", "getSliceParam", data=data))
    assert isinstance(report, SliceParamReport)
    assert report.taskid == "482913"
    assert dict(report.params) == {"layers": 120, "material_name": "PLA"}
    with pytest.raises(TypeError):
        report.params["layers"] = 1  # type: ignore[index]


def test_missing_slice_param_is_empty() -> None:
    report = parse("print", envelope("print", "getSliceParam", "failed", {"taskid": "1"}))
    assert dict(report.params) == {}


@pytest.mark.parametrize("slice_param", ["{not json", "[1, 2]", "12", 12, [1]])
def test_bad_slice_param_is_malformed(slice_param: Any) -> None:
    data = {"taskid": "482913", "slice_param": slice_param}
    with pytest.raises(KobraParseError, match="slice_param"):
        parse("print", envelope("print", "getSliceParam", data=data))


# --- files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "storage"), [("listLocal", Storage.LOCAL), ("listUdisk", Storage.USB)]
)
def test_file_list(action: str, storage: Storage) -> None:
    report = parse("file", envelope("file", action, data=LIST_DATA))
    assert isinstance(report, FileListReport)
    assert report.storage is storage
    cube, parts = report.files
    assert (cube.name, cube.path, cube.size, cube.is_dir) == (
        "cube.gcode",
        "/cube.gcode",
        1873421,
        False,
    )
    assert cube.modified == datetime.fromtimestamp(1709800000, tz=UTC)
    assert (parts.name, parts.is_dir) == ("parts", True)


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        (1709800000000, datetime(2024, 3, 7, 8, 26, 40, tzinfo=UTC)),
        (1709800000, datetime(2024, 3, 7, 8, 26, 40, tzinfo=UTC)),
        ("1709800000", datetime(2024, 3, 7, 8, 26, 40, tzinfo=UTC)),
        (0, None),
        (-5, None),
        (10**18, None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_file_timestamp_in_ms_or_s(timestamp: Any, expected: datetime | None) -> None:
    data = {"records": [{"filename": "a.gcode", "timestamp": timestamp, "is_dir": False}]}
    (entry,) = parse("file", envelope("file", "listLocal", data=data)).files
    assert entry.modified == expected


def test_file_list_skips_unusable_records_and_uses_the_folder() -> None:
    records = [
        {"filename": "ok.gcode", "size": "12", "is_dir": 0},
        {"filename": "", "size": 1},
        {"size": 1},
        "junk",
        None,
        {"filename": 12345, "is_dir": "true", "size": -1},
        {"filename": ".."},
    ]
    data = {"path": "/parts", "records": records}
    report = parse("file", envelope("file", "listLocal", data=data))
    assert [(e.name, e.path, e.size, e.is_dir) for e in report.files] == [
        ("ok.gcode", "/parts/ok.gcode", 12, False),
        ("12345", "/parts/12345", None, True),
    ]


@pytest.mark.parametrize("records", [None, {}, "x", 3])
def test_file_list_without_records(records: Any) -> None:
    report = parse("file", envelope("file", "listUdisk", data={"records": records}))
    assert isinstance(report, FileListReport)
    assert report.files == ()


@pytest.mark.parametrize(
    ("state", "code", "success"),
    [("success", 200, True), ("done", None, True), ("failed", 200, False), ("success", 500, False)],
)
def test_file_delete(state: str, code: int | None, success: bool) -> None:
    body = envelope("file", "deleteUdisk", state, {"filename": "a.gcode"}, code=code)
    report = parse("file", body)
    assert isinstance(report, FileDeleteReport)
    assert report.storage is Storage.USB
    assert report.success is success
    assert report.filename == "a.gcode"


# --- firmware and ota ----------------------------------------------------------------------


def test_firmware_version_and_extra_fields() -> None:
    data = {"firmware_version": "3.1.2", "model_id": "20021", "device_unionid": "x"}
    report = parse("ota", envelope("ota", "reportVersion", data=data))
    assert isinstance(report, FirmwareReport)
    assert report.version == "3.1.2"
    assert dict(report.extra) == {"model_id": "20021", "device_unionid": "x"}


@pytest.mark.parametrize("version", [None, "", 3.1, ["3.1.2"], "x" * 65])
def test_firmware_version_wrong_types(version: Any) -> None:
    report = parse("ota", envelope("ota", "reportVersion", data={"firmware_version": version}))
    assert report.version is None


@pytest.mark.parametrize(
    ("state", "data", "progress"),
    [
        ("downloading", {"progress": 12}, 12),
        ("updating", {"current_progress": 55}, 55),
        ("start", None, None),
        ("updating", {"progress": "x", "current_progress": 70}, 70),
    ],
)
def test_ota_progress(state: str, data: Any, progress: int | None) -> None:
    report = parse("ota", envelope("ota", "update", state, data))
    assert isinstance(report, OtaProgressReport)
    assert report.state == state
    assert report.progress == progress


# --- unknown reports and the envelope --------------------------------------------------------


@pytest.mark.parametrize(
    ("msg_type", "action"),
    [("peripherie", "query"), ("file", "cloudRecommendList"), ("print", "localtasktrans")]
    + [("tempature", "set"), ("video", "startCapture"), ("user", "bindQuery")],
)
def test_unknown_type_or_action(msg_type: str, action: str) -> None:
    data = {"camera": False, "nested": {"a": [1, 2]}}
    report = parse(msg_type, envelope(msg_type, action, data=data))
    assert isinstance(report, UnknownReport)
    assert report.data == data
    assert (report.envelope.type, report.envelope.action) == (msg_type, action)


def test_payload_type_wins_over_topic_type_and_topic_fills_a_missing_one() -> None:
    report = parse("whatever", SAMPLES["fan"][1])
    assert isinstance(report, FanReport)
    body = envelope("fan", "auto", data={"fan_speed_pct": 5})
    del body["type"]
    report = parse("fan", body)
    assert isinstance(report, FanReport)
    assert report.fan_speed_pct == 5


def test_escaped_slashes_are_decoded(backend: str) -> None:
    payload = (
        b'{"type":"file","action":"listLocal","state":"done","data":'
        b'{"path":"\\/parts","records":[{"filename":"a\\/b.gcode","is_dir":false}]}}'
    )
    (entry,) = parse("file", payload).files
    assert entry.name == "a/b.gcode"
    assert entry.path == "/parts/a/b.gcode"


def test_minimal_envelope_defaults() -> None:
    report = parse("fan", b'{"type":"fan","action":"auto"}')
    assert isinstance(report, FanReport)
    assert report.fan_speed_pct is None
    env = report.envelope
    assert (env.msgid, env.state, env.timestamp, env.code, env.msg) == ("", "", None, None, "")


@pytest.mark.parametrize(
    ("field", "value", "attribute", "expected"),
    [
        ("timestamp", "soon", "timestamp", None),
        ("timestamp", -1, "timestamp", None),
        ("timestamp", "1709900123456", "timestamp", 1709900123456),
        ("code", "200", "code", 200),
        ("code", [200], "code", None),
        ("msg", 5, "msg", ""),
        ("msgid", {"a": 1}, "msgid", ""),
        ("state", None, "state", ""),
        ("state", 7, "state", "7"),
    ],
)
def test_envelope_wrong_types(field: str, value: Any, attribute: str, expected: Any) -> None:
    body = envelope("fan", "auto", data={"fan_speed_pct": 10}, **{field: value})
    report = parse("fan", body)
    assert getattr(report.envelope, attribute) == expected
    assert report.fan_speed_pct == 10


def test_reports_are_frozen() -> None:
    report = parse("fan", SAMPLES["fan"][1])
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.fan_speed_pct = 1  # type: ignore[misc]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_sample_parses(backend: str, name: str) -> None:
    msg_type, payload = SAMPLES[name]
    report = parse(msg_type, payload)
    assert report.printer_id == PRINTER_ID
    assert report.envelope.type == msg_type


def test_tolerated_framing(backend: str) -> None:
    payload = b"\xef\xbb\xbf" + SAMPLES["fan"][1] + b"\x00"
    assert parse("fan", payload).fan_speed_pct == 100
    assert parse("fan", SAMPLES["fan"][1].decode()).fan_speed_pct == 100
    assert parse("fan", bytearray(SAMPLES["fan"][1])).fan_speed_pct == 100
    assert parse("fan", memoryview(SAMPLES["fan"][1])).fan_speed_pct == 100


# --- malformed input ----------------------------------------------------------------------


def nested(depth: int) -> bytes:
    """Return a report whose data nests depth levels below the top object."""
    return b'{"type":"fan","action":"auto","data":' + b"[" * depth + b"]" * depth + b"}"


MALFORMED: dict[str, bytes] = {
    "invalid utf-8": b'{"type":"fan","action":"auto","msg":"\xff\xfe"}',
    "truncated utf-8": b'{"type":"fan","action":"auto","msg":"\xe2\x82"}',
    "not json": b"hello printer",
    "truncated json": SAMPLES["fan"][1][:-5],
    "trailing garbage": SAMPLES["fan"][1] + b"}",
    "empty": b"",
    "whitespace": b" \n\t ",
    "only nul": b"\x00\x00",
    "number": b"42",
    "string": b'"tempature"',
    "null": b"null",
    "true": b"true",
    "array": b'[{"type":"fan","action":"auto"}]',
    "deep nesting 200000": nested(200_000),
    "deep nesting 2000": nested(2_000),
    "nesting 32 below the top": nested(32),
    "NaN": b'{"type":"fan","action":"auto","data":{"fan_speed_pct":NaN}}',
    "Infinity": b'{"type":"fan","action":"auto","data":{"fan_speed_pct":Infinity}}',
    "-Infinity": b'{"type":"fan","action":"auto","data":{"fan_speed_pct":-Infinity}}',
    "1e400": b'{"type":"fan","action":"auto","data":{"fan_speed_pct":1e400}}',
    "5000 digits": b'{"type":"fan","action":"auto","data":{"fan_speed_pct":' + b"9" * 5000 + b"}}",
    "lone surrogate": b'{"type":"fan","action":"auto","msg":"\\ud800"}',
    "over 1 MiB": b'{"type":"fan","action":"auto","msg":"' + b"a" * (1024 * 1024) + b'"}',
    "utf-16": SAMPLES["fan"][1].decode().encode("utf-16"),
    "single quotes": b"{'type':'fan','action':'auto'}",
    "raw tab inside a string": b'{"type":"fan","action":"au\tto"}',
    "missing action": b'{"type":"fan","data":{"fan_speed_pct":3}}',
    "null action": b'{"type":"fan","action":null}',
    "numeric action": b'{"type":"fan","action":5}',
    "empty action": b'{"type":"fan","action":""}',
    "action with a slash": b'{"type":"fan","action":"a/b"}',
    "numeric type": b'{"type":7,"action":"auto"}',
    "empty type": b'{"type":"","action":"auto"}',
    "overlong action": b'{"type":"fan","action":"' + b"a" * 65 + b'"}',
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_payloads_raise_parse_error_with_a_reason(backend: str, name: str) -> None:
    with pytest.raises(KobraParseError) as caught:
        parse("fan", MALFORMED[name])
    assert caught.value.reason
    assert not caught.value.reason.startswith(parser.INTERNAL_ERROR_PREFIX)
    assert str(caught.value) == caught.value.reason


def test_nesting_limit_boundary(backend: str) -> None:
    report = parse("fan", nested(31))  # the top object plus 31 levels: exactly the limit
    assert isinstance(report, FanReport)
    with pytest.raises(KobraParseError, match="deeper"):
        parse("fan", nested(32))


def test_size_limit_boundary() -> None:
    head = b'{"type":"fan","action":"auto","msg":"'
    filler = MAX_PAYLOAD_BYTES - len(head) - 2
    report = parse("fan", head + b"a" * filler + b'"}')
    assert len(report.envelope.msg) <= 1025
    with pytest.raises(KobraParseError, match="larger"):
        parse("fan", head + b"a" * (filler + 1) + b'"}')


def test_huge_integers_do_not_leak_into_values(backend: str) -> None:
    payload = b'{"type":"fan","action":"auto","data":{"fan_speed_pct":18446744073709551616}}'
    assert parse("fan", payload).fan_speed_pct is None


def test_decode_payload_returns_the_object(backend: str) -> None:
    assert decode_payload(b'{"a":[1,{"b":"\\/"}]}') == {"a": [1, {"b": "/"}]}


def test_decode_payload_rejects_unsupported_types() -> None:
    with pytest.raises(KobraParseError, match="unsupported"):
        decode_payload(123)  # type: ignore[arg-type]
    with pytest.raises(KobraParseError, match="UTF-8"):
        decode_payload("\ud800")


def test_internal_errors_become_parse_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ctx: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setitem(parser._BUILDERS, ("fan", "auto"), broken)
    with pytest.raises(KobraParseError, match=parser.INTERNAL_ERROR_PREFIX) as caught:
        parse("fan", SAMPLES["fan"][1])
    assert isinstance(caught.value.__cause__, RuntimeError)
