"""Property tests: whatever arrives, the parser returns a report or raises KobraParseError."""

from __future__ import annotations

import json
import math
import os
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.anycubic_kobra2.kobra2 import commands as c, parser
from custom_components.anycubic_kobra2.kobra2.exceptions import KobraParseError
from custom_components.anycubic_kobra2.kobra2.models import (
    BaseReport,
    FanReport,
    FileListReport,
    OtaProgressReport,
    PrintReport,
    SettingsReport,
    TemperatureReport,
)
from custom_components.anycubic_kobra2.kobra2.parser import parse_report
from custom_components.anycubic_kobra2.kobra2.state import PrinterState
from tests.helpers.payloads import (
    PRINT_DATA,
    SAMPLES,
    SETTINGS_DATA,
    TEMP_KU_INIT,
    TEMP_KUGO_TABS,
    envelope,
    report_topic,
)

# With derandomize on Python 3.14, Hypothesis warns about registering its own global PRNG
# (hypothesis/internal/entropy.py); the warning is about Hypothesis, not about these tests.
pytestmark = pytest.mark.filterwarnings(
    "ignore:It looks like `register_random`:hypothesis.errors.HypothesisWarning"
)

# KOBRA2_FUZZ_EXAMPLES raises the budget for a long local run; CI stays deterministic but runs
# more than 5,000 examples in all (7 tests x 750), a quick local run 200 per test.
FUZZ = settings(
    max_examples=int(
        os.environ.get("KOBRA2_FUZZ_EXAMPLES", "750" if os.environ.get("CI") == "true" else "200")
    ),
    deadline=None,
    derandomize="KOBRA2_FUZZ_EXAMPLES" not in os.environ,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

KNOWN_TYPES = [
    "tempature",
    "fan",
    "status",
    "lastWill",
    "print",
    "file",
    "ota",
    "video",
    "peripherie",
]
KNOWN_ACTIONS = [
    "auto",
    "report",
    "workReport",
    "query",
    "onlineReport",
    "start",
    "pause",
    "resume",
    "stop",
    "cancel",
    "done",
    "update",
    "getSliceParam",
    "listLocal",
    "listUdisk",
    "deleteLocal",
    "deleteUdisk",
    "reportVersion",
    "cloudRecommendList",
]
KNOWN_STATES = ["done", "free", "busy", "online", "offline", "printing", "stoped", "resumed"]
KNOWN_STATES += ["downloading", "failed", "finished", "success", "updated", "paused"]
DATA_KEYS = sorted(
    {*PRINT_DATA, *SETTINGS_DATA, *SETTINGS_DATA["settings"]}
    | {"curr_hotbed_temp", "curr_nozzle_temp", "target_hotbed_temp", "target_nozzle_temp"}
    | {"fan_speed_pct", "records", "path", "filename", "slice_param", "firmware_version"}
    | {"current_progress", "list_mode", "size", "timestamp", "is_dir"}
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["", "0", "-1", "42", "1.5", "abc", "NaN", "1e999", "\\/", "stoped"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(max_size=10) | st.sampled_from(DATA_KEYS), children, max_size=5)
    ),
    max_leaves=15,
)


@pytest.fixture(params=["orjson", "stdlib"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Fuzz with orjson and with the standard-library fallback."""
    if request.param == "stdlib":
        monkeypatch.setattr(parser, "_orjson", None)
    return request.param


def check(topic: str, payload: bytes) -> BaseReport | None:
    """Parse and assert the contract: a report, or a KobraParseError that is not a parser bug."""
    try:
        report = parse_report(topic, payload)
    except KobraParseError as err:
        reason = err.reason
        assert reason
        assert not reason.startswith(parser.INTERNAL_ERROR_PREFIX), reason
        return None
    assert isinstance(report, BaseReport)
    check_ranges(report)
    state = PrinterState()
    state.apply(report)
    check_state(state)
    return report


def finite(value: float | None, low: float, high: float) -> bool:
    """Return True for None or a finite value within [low, high]."""
    return value is None or (math.isfinite(value) and low <= value <= high)


def check_ranges(report: BaseReport) -> None:
    """Assert that an accepted report only carries values a sensor can show."""
    if isinstance(report, TemperatureReport | SettingsReport):
        for value in (report.nozzle, report.bed, report.target_nozzle, report.target_bed):
            assert finite(value, -100, 1000)
    if isinstance(report, FanReport | SettingsReport):
        assert finite(report.fan_speed_pct, 0, 100)
    if isinstance(report, SettingsReport):
        assert finite(report.z_offset, -50, 50)
    if isinstance(report, OtaProgressReport):
        assert finite(report.progress, 0, 100)
    if isinstance(report, PrintReport):
        job = report.job
        assert finite(job.progress, 0, 100)
        assert finite(job.download_progress, 0, 100)
        assert job.remain_time_min is None or job.remain_time_min > 0
        assert job.total_layers is None or job.total_layers > 0
        assert job.curr_layer is None or job.total_layers is not None
        assert finite(job.filament_used_mm, 0, 2**53)
    if isinstance(report, FileListReport):
        for entry in report.files:
            assert entry.name
            assert entry.path.startswith("/")
            assert entry.size is None or entry.size >= 0
            assert entry.modified is None or entry.modified.tzinfo is not None


def check_state(state: PrinterState) -> None:
    """Assert that a state built from an accepted report holds finite, in-range values."""
    for value in (state.nozzle, state.bed, state.target_nozzle, state.target_bed):
        assert finite(value, -100, 1000)
    assert finite(state.fan_speed_pct, 0, 100)
    assert finite(state.z_offset, -50, 50)


@FUZZ
@given(payload=st.binary(max_size=300))
def test_random_bytes(backend: str, payload: bytes) -> None:
    check(report_topic("print"), payload)


@FUZZ
@given(value=json_values)
def test_random_json_values(backend: str, value: Any) -> None:
    check(report_topic("print"), json.dumps(value).encode())


@FUZZ
@given(
    msg_type=st.sampled_from(KNOWN_TYPES) | st.text(max_size=8),
    action=st.sampled_from(KNOWN_ACTIONS) | st.text(max_size=8) | json_values,
    state=st.sampled_from(KNOWN_STATES) | json_values,
    data=st.dictionaries(st.sampled_from(DATA_KEYS), json_values, max_size=6) | json_values,
    extra=st.dictionaries(st.sampled_from(["msgid", "timestamp", "code", "msg"]), scalars),
)
def test_random_envelopes(
    backend: str, msg_type: str, action: Any, state: Any, data: Any, extra: dict[str, Any]
) -> None:
    body = envelope(msg_type, action, state, data, **extra)
    check(
        report_topic(msg_type if isinstance(msg_type, str) else "print"), json.dumps(body).encode()
    )


def set_path(body: Any, path: list[Any], value: Any) -> Any:
    """Replace the value at a path of keys or indexes (paths that do not fit are ignored)."""
    node = body
    for key in path[:-1]:
        if (
            isinstance(node, dict)
            and key in node
            or isinstance(node, list)
            and isinstance(key, int)
            and 0 <= key < len(node)
        ):
            node = node[key]
        else:
            return body
    last = path[-1] if path else None
    if (
        isinstance(node, dict)
        and isinstance(last, str)
        or isinstance(node, list)
        and isinstance(last, int)
        and 0 <= last < len(node)
    ):
        node[last] = value
    return body


def paths(node: Any, prefix: list[Any] | None = None) -> list[list[Any]]:
    """List every key path of a JSON value."""
    prefix = prefix or []
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            found += paths(child, [*prefix, key])
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += paths(child, [*prefix, index])
    return found


@FUZZ
@given(
    name=st.sampled_from(sorted(SAMPLES)),
    data=st.data(),
    replacement=json_values,
    delete=st.booleans(),
)
def test_mutated_valid_payloads(
    backend: str, name: str, data: st.DataObject, replacement: Any, delete: bool
) -> None:
    msg_type, payload = SAMPLES[name]
    body = json.loads(payload)
    path = data.draw(st.sampled_from(paths(body)))
    if delete:
        parent = body
        for key in path[:-1]:
            parent = parent[key]
        del parent[path[-1]]
    else:
        set_path(body, path, replacement)
    check(report_topic(msg_type), json.dumps(body).encode())


@FUZZ
@given(
    raw=st.sampled_from([TEMP_KU_INIT, TEMP_KUGO_TABS]),
    data=st.data(),
)
def test_byte_mutations_of_the_raw_tab_captures(
    backend: str, raw: bytes, data: st.DataObject
) -> None:
    mutated = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        index = data.draw(st.integers(0, max(len(mutated) - 1, 0)))
        if op == "flip" and mutated:
            mutated[index] = data.draw(st.integers(0, 255))
        elif op == "insert":
            mutated[index:index] = data.draw(st.binary(min_size=1, max_size=4))
        elif op == "delete" and mutated:
            del mutated[index]
        else:
            del mutated[index:]
    report = check(report_topic("tempature"), bytes(mutated))
    assert report is None or report.printer_id


@FUZZ
@given(
    topic=st.text(max_size=120)
    | st.lists(
        st.sampled_from(["anycubic", "anycubicCloud", "v1", "printer", "public", "20021", "report"])
        | st.sampled_from(["9347a110c5423fe412ce45533bfc10e6", "+", "#", "", "tempature"])
        | st.text(max_size=6),
        max_size=10,
    ).map("/".join)
)
def test_random_topics(topic: str) -> None:
    info = parser.parse_topic(topic)
    if info is not None:
        assert len(info.printer_id) == 32
        assert info.printer_id == info.printer_id.lower()
    check(topic, SAMPLES["fan"][1])


@FUZZ
@given(
    filename=st.text(min_size=1, max_size=40),
    folder=st.text(min_size=1, max_size=20),
    taskid=st.text(min_size=1, max_size=10),
)
def test_command_payloads_round_trip(filename: str, folder: str, taskid: str) -> None:
    command = c.start_local_print(filename, folder, taskid)
    raw = command.payload()
    assert raw.count(b"/") == raw.count(b"\\/")
    body = json.loads(raw)
    assert body["data"]["filename"] == filename
    assert body["data"]["filepath"] == folder
    assert body["data"]["taskid"] == taskid
