"""Report dialects seen in other Anycubic clients (not Kobra 2 captures), tolerated cheaply."""

from __future__ import annotations

import json
from typing import Any

import pytest

from custom_components.anycubic_kobra2.kobra2.models import PrintPhase, PrintReport, SettingsReport
from custom_components.anycubic_kobra2.kobra2.parser import parse_report
from custom_components.anycubic_kobra2.kobra2.state import PrinterState
from tests.helpers.payloads import envelope

from .common import REPORT_BASE

TOPIC = f"{REPORT_BASE}/print/report"


def _apply(state: PrinterState, action: str, data: dict[str, Any], report_state: str) -> Any:
    """Parse one print report and apply it; return the report."""
    report = parse_report(
        TOPIC, json.dumps(envelope("print", action, data=data, state=report_state))
    )
    state.apply(report)
    return report


def _printing() -> PrinterState:
    """Return a state with a job half printed."""
    state = PrinterState()
    job = {"taskid": "4711", "filename": "cube.gcode", "progress": 50, "remain_time": 30}
    _apply(state, "start", job, "printing")
    return state


def test_start_updated_is_a_settings_snapshot_and_keeps_the_job() -> None:
    """print/start with state "updated" carries settings; the running job stays as it was."""
    state = _printing()
    snapshot = {"taskid": "0", "settings": {"target_nozzle_temp": 215, "print_speed_mode": 3}}
    report = _apply(state, "start", snapshot, "updated")
    assert isinstance(report, SettingsReport)
    assert state.phase is PrintPhase.PRINTING
    assert state.job is not None
    assert (state.job.taskid, state.job.filename, state.job.progress) == ("4711", "cube.gcode", 50)
    assert state.target_nozzle == 215


def test_update_with_a_download_state_keeps_the_download_progress() -> None:
    """print/update with state "downloading" reports download progress, which is kept."""
    state = PrinterState()
    _apply(state, "start", {"taskid": "9", "filename": "vase.gcode"}, "downloading")
    report = _apply(state, "update", {"taskid": "9", "progress": 40}, "downloading")
    assert isinstance(report, PrintReport)
    assert state.phase is PrintPhase.DOWNLOADING
    assert state.job is not None
    assert (state.job.download_progress, state.job.filename) == (40, "vase.gcode")
    # Settings answers of print/update are still settings.
    assert isinstance(_apply(state, "update", {"taskid": "9"}, "done"), SettingsReport)


@pytest.mark.parametrize("taskid", ["-1", "0", "", " 0 "])
def test_no_task_ids_mean_no_particular_job(taskid: str) -> None:
    """Task ids "-1" and "0" name no job: a report with one leaves the running job alone."""
    state = _printing()
    report = _apply(state, "query", {"taskid": taskid, "progress": 51}, "printing")
    assert report.job.taskid is None
    assert state.job is not None
    assert (state.job.taskid, state.job.filename, state.job.progress) == ("4711", "cube.gcode", 51)
