"""The simulator's pure parts: state machine, cJSON formatting, file trees and settings."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from kobra2_sim import (
    FileStore,
    Machine,
    Outgoing,
    SimFile,
    SimulatorConfig,
    sample_files,
)
from kobra2_sim.jsonfmt import dumps
from kobra2_sim.storage import normalize_path

PRINTER_ID = "9347a110c5423fe412ce45533bfc10e6"


def _machine(**overrides: Any) -> Machine:
    options: dict[str, Any] = {
        "printer_id": PRINTER_ID,
        "local_files": (SimFile("/a.gcode", 1000, print_seconds=600), SimFile("/f/b.gcode", 10)),
    }
    options.update(overrides)
    return Machine(SimulatorConfig(**options))


def _run(machine: Machine, seconds: float, step: float = 1.0) -> list[Outgoing]:
    out: list[Outgoing] = []
    for _ in range(round(seconds / step)):
        out += machine.advance(step)
    return out


def _states(out: list[Outgoing], type_: str = "print") -> list[tuple[str, str]]:
    return [(o.action, o.state) for o in out if o.type == type_]


# ---- cJSON formatting ------------------------------------------------------------------


def test_default_json_reproduces_the_raw_capture() -> None:
    """By default the tab layout of the real tempature payload quoted in KUGO 8f57c99 (§5.1)."""
    envelope = {
        "type": "tempature",
        "action": "auto",
        "msgid": "77350b05-e3d9-4a10-9c12-502a439d7c3d",
        "state": "done",
        "timestamp": 1709681948443,
        "code": 200,
        "msg": "",
        "data": {
            "curr_hotbed_temp": 27,
            "curr_nozzle_temp": 27,
            "target_hotbed_temp": 0,
            "target_nozzle_temp": 0,
        },
    }
    expected = (
        "{\n"
        '\t"type":\t"tempature",\n'
        '\t"action":\t"auto",\n'
        '\t"msgid":\t"77350b05-e3d9-4a10-9c12-502a439d7c3d",\n'
        '\t"state":\t"done",\n'
        '\t"timestamp":\t1709681948443,\n'
        '\t"code":\t200,\n'
        '\t"msg":\t"",\n'
        '\t"data":\t{\n'
        '\t\t"curr_hotbed_temp":\t27,\n'
        '\t\t"curr_nozzle_temp":\t27,\n'
        '\t\t"target_hotbed_temp":\t0,\n'
        '\t\t"target_nozzle_temp":\t0\n'
        "\t}\n"
        "}"
    )
    assert dumps(envelope).decode() == expected
    assert dumps(envelope, pretty=False) == json.dumps(envelope, separators=(",", ":")).encode()


def test_cjson_details() -> None:
    """Arrays, empty containers, escapes, raw UTF-8 and cJSON's number formatting."""
    assert dumps({"r": [{"a": 1}, {"b": []}], "e": {}}, pretty=True).decode() == (
        '{\n\t"r":\t[{\n\t\t\t"a":\t1\n\t\t}, {\n\t\t\t"b":\t[]\n\t\t}],\n\t"e":\t{\n\t}\n}'
    )
    assert dumps([0.0, 0.1, 1e-05, -2.5, 1 / 3, math.nan, True, None], pretty=False) == (
        b"[0,0.1,1e-05,-2.5,0.33333333333333331,null,true,null]"
    )
    assert dumps('a"b\\c\n\x01/é') == '"a\\"b\\\\c\\n\\u0001/é"'.encode()
    assert dumps({"path": "/a/b"}, pretty=False, escape_slashes=True) == b'{"path":"\\/a\\/b"}'
    assert dumps("/", escape_slashes=True) == b'"\\/"'
    with pytest.raises(TypeError):
        dumps({"x": object()})


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(_json_values, st.booleans(), st.booleans())
def test_output_is_json_that_reads_back(value: Any, pretty: bool, slashes: bool) -> None:
    """Whatever the layout, a standard parser reads the same value back (doubles to 15-17 digits)."""
    assert json.loads(dumps(value, pretty=pretty, escape_slashes=slashes)) == value


# ---- files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("", "/"),
        ("/", "/"),
        ("parts", "/parts"),
        ("//a//b/", "/a/b"),
        ("/a/../b", "/b"),
        ("..", "/"),
    ],
)
def test_normalize_path(raw: str, normal: str) -> None:
    assert normalize_path(raw) == normal


def test_file_store_tree() -> None:
    """Parents appear on demand; listings are per folder, folders first; removal is recursive."""
    store = FileStore([SimFile("x/y/z.gcode", 5), SimFile("/b.gcode", 1), SimFile("/A.gcode", 2)])
    assert store["/x"].is_dir
    assert store["/x/y"].is_dir
    assert [e.name for e in store.list_dir("/") or []] == ["x", "A.gcode", "b.gcode"]
    assert [e.path for e in store.list_dir("/x/y") or []] == ["/x/y/z.gcode"]
    assert store.list_dir("/b.gcode") is None
    assert store.list_dir("/missing") is None
    assert store.remove("/x")
    assert "/x/y/z.gcode" not in store
    assert not store.remove("/x")
    with pytest.raises(ValueError):
        store.add(SimFile("/", 0))


def test_sample_files() -> None:
    """Both storages hold realistic G-code files and a folder with files in it."""
    for storage in ("local", "usb"):
        files = sample_files(storage)
        assert any(f.is_dir for f in files)
        names = [f.name for f in files if not f.is_dir]
        assert len(names) >= 3
        assert all(n.endswith(".gcode") for n in names)
        assert any(f.parent != "/" for f in files)
    with pytest.raises(ValueError):
        sample_files("sd")


# ---- settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"printer_id": "xyz"},
        {"printer_id": PRINTER_ID.upper()},
        {"model_id": "kobra"},
        {"time_scale": 0},
        {"temp_interval": -1},
        {"client_cert": "PEM"},
    ],
)
def test_config_rejects(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        SimulatorConfig(**{"printer_id": PRINTER_ID, **bad})


def test_config_defaults_and_topics() -> None:
    """A random id per instance, password out of repr, the two topic bases."""
    first, second = SimulatorConfig(), SimulatorConfig()
    assert first.printer_id != second.printer_id
    assert "secret" not in repr(SimulatorConfig(password="secret"))
    config = SimulatorConfig(printer_id=PRINTER_ID, model_id="20023")
    assert config.report_base == f"anycubic/anycubicCloud/v1/printer/public/20023/{PRINTER_ID}"
    assert config.command_base == f"anycubic/anycubicCloud/v1/server/printer/20023/{PRINTER_ID}"


# ---- state machine ---------------------------------------------------------------------------


def test_heaters_ramp_hold_and_cool() -> None:
    """Heat at a bounded rate to the target and hold it; cool toward ambient, never below."""
    machine = _machine()
    machine.update("0", {"target_nozzle_temp": 200, "target_hotbed_temp": 60}, None)
    nozzles = []
    for _ in range(120):
        machine.advance(1.0)
        nozzles.append(machine.nozzle)
    assert nozzles == sorted(nozzles)
    assert max(b - a for a, b in zip(nozzles, nozzles[1:], strict=False)) <= 3.0
    assert nozzles[-1] == 200
    assert machine.bed == 60
    machine.update("0", {"target_nozzle_temp": 0, "target_hotbed_temp": 0}, None)
    _run(machine, 3600, 10)
    assert 24.0 <= machine.nozzle < 30
    assert 24.0 <= machine.bed < 40


def test_print_waits_for_temperatures_then_finishes() -> None:
    """Preheating lasts until both heaters are at target; then printing to 100 % and free."""
    machine = _machine()
    out = machine.start_file(
        taskid="5", filename="a.gcode", folder="/", storage="local", reply_to="m"
    )
    assert [(o.type, o.state) for o in out] == [("status", "busy"), ("print", "preheating")]
    assert out[1].reply_to == "m"
    out = _run(machine, 30)
    assert ("start", "printing") not in _states(out)
    out = _run(machine, 100)
    assert ("start", "printing") in _states(out)
    assert machine.nozzle >= 209
    assert machine.bed >= 59
    assert [o.data for o in out if o.type == "fan"] == [{"fan_speed_pct": 100}]
    report = machine.progress_report()
    assert report is not None
    assert 0 <= report.data["progress"] < 100
    out = _run(machine, 700)
    assert _states(out)[-1] == ("start", "finished")
    assert [o.state for o in out if o.type == "status"] == ["free"]
    assert machine.last_job is not None
    assert machine.last_job.progress == 100
    assert machine.progress_report() is None


def test_speed_mode_changes_print_duration() -> None:
    """Fast mode finishes sooner than slow mode."""
    durations = {}
    for mode in (1, 3):
        machine = _machine()
        machine.update("0", {"print_speed_mode": mode}, None)
        machine.start_file(
            taskid="1", filename="a.gcode", folder="/", storage="local", reply_to=None
        )
        seconds = 0
        while machine.status == "busy":
            machine.advance(5.0)
            seconds += 5
        durations[mode] = seconds
    assert durations[3] < durations[1]


def test_refusals_leave_the_machine_alone() -> None:
    """Unknown files, folders, non-G-code and a busy machine are refused without side effects.

    Each refusal is followed by a work report of the state the printer stays in.
    """
    machine = _machine(local_files=(SimFile("/a.gcode", 1), SimFile("/notes.txt", 1)))
    for name in ("missing.gcode", "/", "notes.txt"):
        out = machine.start_file(
            taskid="1", filename=name, folder="/", storage="local", reply_to="m1"
        )
        assert [(o.type, o.action, o.state, o.failed) for o in out] == [
            ("print", "start", "failed", True),
            ("status", "workReport", "free", False),
        ]
        assert (out[0].data, out[0].reply_to) == ({"taskid": "1"}, "m1")
        assert machine.status == "free"
    machine.usb_present = False
    out = machine.start_file(
        taskid="3", filename="a.gcode", folder="/", storage="usb", reply_to=None
    )
    assert [(o.msg, o.state) for o in out] == [("no udisk", "failed"), ("", "free")]
    machine.start_file(taskid="1", filename="a.gcode", folder="/", storage="local", reply_to=None)
    out, job = machine.start_download(taskid="2", filename="x.gcode", filesize=1, reply_to=None)
    assert job is None
    assert [(o.type, o.state) for o in out] == [("print", "failed"), ("status", "busy")]
    assert out[0].msg == "printer is busy"
    assert out[0].data == {"taskid": "2"}
    assert machine.ota_update("9.9.9", None)[0].state == "failed"
    assert machine.job is not None
    assert machine.job.taskid == "1"


def test_pause_and_stop_accept_only_the_running_task() -> None:
    """A foreign taskid fails; "0", "-1", none and the localtask are accepted."""
    machine = _machine()
    localtask = machine.start_from_screen("a.gcode", "local")[1]
    assert localtask is not None
    assert machine.pause("123", None)[0].state == "failed"
    assert machine.pause(localtask.localtask, None)[0].state == "pausing"
    _run(machine, 5)
    assert machine.resume(None, None)[0].state == "resuming"
    _run(machine, 5)
    assert machine.stop("stop", "-1", None)[0].state == "stopping"
    assert machine.stop("stop", "0", None)[0].state == "failed"
    out = _run(machine, 5)
    assert _states(out) == [("stop", "stoped")]


def test_url_download_check_paths() -> None:
    """Progress only moves forward; a failed check ends the job; a good one stores the file."""
    machine = _machine()
    out, job = machine.start_download(
        taskid="3", filename="/up/cube.gcode", filesize=100, reply_to="q"
    )
    assert job is not None
    assert job.filename == "cube.gcode"
    assert _states(out) == [("start", "downloading")]
    assert machine.download_progress(job, 40)[0].data["progress"] == 40
    assert machine.download_progress(job, 40) == []
    out = machine.download_done(job, size=100, md5="f" * 32, problem="md5 mismatch")
    assert _states(out) == [("start", "downloading"), ("start", "checking")]
    out = _run(machine, 3)
    assert _states(out) == [("start", "failed")]
    assert out[0].msg == "md5 mismatch"
    assert out[0].reply_to == "q"
    assert "/cube.gcode" not in machine.local
    out, job = machine.start_download(
        taskid="4", filename="cube.gcode", filesize=100, reply_to=None
    )
    assert job is not None
    machine.download_done(job, size=100, md5="f" * 32, problem="")
    assert machine.local["/cube.gcode"].md5 == "f" * 32
    assert machine.download_failed(job, "late") == []


@pytest.mark.parametrize(
    "settings_",
    [
        {"target_nozzle_temp": 261},
        {"target_hotbed_temp": 111},
        {"fan_speed_pct": 101},
        {"fan_speed_pct": "50"},
        {"print_speed_mode": 2.5},
        {"print_speed_mode": 0},
        {"z_comp": 5.5},
        {"z_comp": "nan"},
        {"target_nozzle_temp": None},
        [1],
    ],
)
def test_update_rejects_invalid_settings(settings_: Any) -> None:
    machine = _machine()
    out = machine.update("0", settings_, None)
    assert [o.state for o in out] == ["failed"]
    assert (machine.target_nozzle, machine.fan_speed_pct, machine.print_speed_mode) == (0, 0, 2)


def test_update_accepts_zero_and_string_z_comp() -> None:
    """0 is a valid value (heater off, fan off); z_comp may come as a string."""
    machine = _machine()
    machine.update("0", {"fan_speed_pct": 30, "target_nozzle_temp": 180}, None)
    out = machine.update("7", {"fan_speed_pct": 0, "target_nozzle_temp": 0, "z_comp": "-0.05"}, "m")
    assert [(o.type, o.state) for o in out] == [("print", "updated"), ("fan", "done")]
    assert out[0].data["taskid"] == "7"
    assert out[0].data["settings"]["z_comp"] == -0.05
    assert (machine.fan_speed_pct, machine.target_nozzle) == (0, 0)


def test_ota_phases() -> None:
    """start, downloading 10…100, updating 10…100, version, free."""
    machine = _machine(ota_seconds=20.0)
    out = machine.ota_update("3.2.0", "m")
    assert [(o.type, o.state) for o in out] == [("ota", "start"), ("status", "busy")]
    out = _run(machine, 25)
    downloading = [o.data["progress"] for o in out if o.state == "downloading"]
    updating = [o.data["current_progress"] for o in out if o.state == "updating"]
    assert downloading == list(range(10, 101, 10))
    assert updating == list(range(10, 101, 10))
    assert [(o.type, o.action) for o in out[-2:]] == [
        ("ota", "reportVersion"),
        ("status", "workReport"),
    ]
    assert machine.firmware == "3.2.0"
    assert machine.status == "free"
