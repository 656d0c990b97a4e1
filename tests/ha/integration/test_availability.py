"""Job sensors without a job read unknown; availability is only the link and the printer."""

from __future__ import annotations

import pytest

from custom_components.anycubic_kobra2.data import KobraData
from custom_components.anycubic_kobra2.job_sensors import JOB_SENSORS
from custom_components.anycubic_kobra2.kobra2 import PrinterState, PrintJob, PrintPhase
from custom_components.anycubic_kobra2.sensor import SENSORS

_BY_KEY = {description.key: description for description in SENSORS}
_JOB = PrintJob(taskid="7", remain_time_min=30, curr_layer=57, total_layers=120)


def _value(key: str, data: KobraData) -> object:
    """Return what one sensor reads from the data."""
    return _BY_KEY[key].value_fn(data)


def test_no_sensor_decides_availability() -> None:
    """Sensor descriptions, the job insight's included, carry no availability rule of their own."""
    assert all(not hasattr(description, "available_fn") for description in SENSORS)
    assert all(not hasattr(description, "available_fn") for description in JOB_SENSORS)


@pytest.mark.parametrize("phase", [PrintPhase.PRINTING, PrintPhase.PAUSED])
def test_job_values_while_a_job_runs(phase: PrintPhase) -> None:
    """A running (or paused) job shows its layer."""
    data = KobraData(PrinterState(phase=phase, job=_JOB))
    assert _value("current_layer", data) == 57


def test_values_never_reported_are_unknown() -> None:
    """No job at all: every job sensor of the printer's own values reads None.

    Time left, finish and total layers come from the job insight, which has its own tests
    (tests/ha/integration/test_job_insight.py: unknown until an estimate exists).
    """
    data = KobraData(PrinterState())
    for key in ("current_layer", "progress", "current_file", "elapsed_time"):
        assert _value(key, data) is None, key
