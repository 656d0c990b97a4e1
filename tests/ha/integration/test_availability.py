"""Job sensors without a job read unknown; availability is only the link and the printer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.anycubic_kobra2.data import KobraData
from custom_components.anycubic_kobra2.kobra2 import PrinterState, PrintJob, PrintPhase
from custom_components.anycubic_kobra2.sensor import SENSORS

_BY_KEY = {description.key: description for description in SENSORS}
_FINISH = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
_JOB = PrintJob(taskid="7", remain_time_min=30, curr_layer=57, total_layers=120)


def _value(key: str, data: KobraData) -> object:
    """Return what one sensor reads from the data."""
    return _BY_KEY[key].value_fn(data)


def test_no_sensor_decides_availability() -> None:
    """Sensor descriptions carry no availability rule of their own."""
    assert all(not hasattr(description, "available_fn") for description in SENSORS)


@pytest.mark.parametrize("phase", [PrintPhase.PRINTING, PrintPhase.PAUSED])
def test_job_values_while_a_job_runs(phase: PrintPhase) -> None:
    """A running (or paused) job shows its time left, finish and layers."""
    data = KobraData(PrinterState(phase=phase, job=_JOB), estimated_finish=_FINISH)
    assert _value("remaining_time", data) == 30
    assert _value("estimated_finish", data) == _FINISH
    assert _value("current_layer", data) == 57
    assert _value("total_layers", data) == 120


@pytest.mark.parametrize("phase", [None, PrintPhase.FINISHED, PrintPhase.STOPPED])
def test_time_values_without_a_job_are_unknown(phase: PrintPhase | None) -> None:
    """Without a running job the time left and the finish are None (unknown), not stale values."""
    data = KobraData(PrinterState(phase=phase, job=_JOB), estimated_finish=_FINISH)
    assert _value("remaining_time", data) is None
    assert _value("estimated_finish", data) is None


def test_values_never_reported_are_unknown() -> None:
    """No job at all: every job sensor reads None."""
    data = KobraData(PrinterState())
    for key in ("remaining_time", "estimated_finish", "current_layer", "total_layers", "progress"):
        assert _value(key, data) is None, key
