"""Remaining-time estimates: source order, smoothing, countdown, pause and job end."""

from __future__ import annotations

import pytest

from custom_components.anycubic_kobra2.kobra2.estimate import (
    MIN_RATE_PROGRESS,
    EstimateSource,
    RemainingTimeEstimator,
)
from custom_components.anycubic_kobra2.kobra2.models import PrintJob, PrintPhase


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def job(progress: int, minutes: int, remain: int = 0) -> PrintJob:
    """Return a job as a Kobra 2 reports it."""
    return PrintJob(taskid="1", progress=progress, print_time_min=minutes, remain_time_min=remain)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def est(clock: Clock) -> RemainingTimeEstimator:
    return RemainingTimeEstimator(clock)


def test_nothing_before_any_source(est: RemainingTimeEstimator) -> None:
    """Heating with no slicer time and no progress: no estimate."""
    est.update(PrintPhase.PREHEATING, job(0, 0))
    assert est.estimate() is None
    est.update(PrintPhase.PRINTING, job(1, 0))
    assert est.estimate() is None


def test_printer_value_wins(est: RemainingTimeEstimator) -> None:
    """A remain_time above 0 beats the slicer's estimate."""
    est.set_total(EstimateSource.SLICER, 3600)
    est.update(PrintPhase.PRINTING, job(50, 30, remain=20))
    estimate = est.estimate()
    assert estimate is not None
    assert (estimate.source, estimate.remaining_s) == (EstimateSource.PRINTER, 1200)


def test_slicer_before_slice_param(est: RemainingTimeEstimator) -> None:
    """The G-code header's time beats getSliceParam's; either scales with progress."""
    est.set_total(EstimateSource.SLICE_PARAM, 1000)
    est.update(PrintPhase.PRINTING, job(10, 1))
    first = est.estimate()
    assert first is not None
    assert (first.source, first.remaining_s) == (EstimateSource.SLICE_PARAM, 900)
    est.set_total(EstimateSource.SLICER, 2000)
    est.update(PrintPhase.PRINTING, job(20, 2))
    second = est.estimate()
    assert second is not None
    assert (second.source, second.remaining_s) == (EstimateSource.SLICER, 1600)


def test_slicer_time_while_heating(est: RemainingTimeEstimator) -> None:
    """Before printing, the slicer's whole time is left (download progress is not print progress)."""
    est.set_total(EstimateSource.SLICER, 1800)
    est.update(PrintPhase.DOWNLOADING, PrintJob(taskid="1", progress=70))
    estimate = est.estimate()
    assert estimate is not None
    assert estimate.remaining_s == 1800


def test_rate_needs_progress_and_time(est: RemainingTimeEstimator, clock: Clock) -> None:
    """The progress rate waits for enough progress and a minute of printing."""
    est.update(PrintPhase.PRINTING, job(MIN_RATE_PROGRESS - 1, 5))
    assert est.estimate() is None
    est.update(PrintPhase.PRINTING, job(MIN_RATE_PROGRESS, 0))
    assert est.estimate() is None  # only seconds of printing yet
    clock.now += 61
    est.update(PrintPhase.PRINTING, job(MIN_RATE_PROGRESS + 1, 0))
    estimate = est.estimate()
    assert estimate is not None
    assert estimate.source is EstimateSource.PROGRESS


def test_rate_from_print_time_and_smoothing(est: RemainingTimeEstimator, clock: Clock) -> None:
    """10% after 10 minutes: 90 minutes left; a jumpy next reading moves it only partly."""
    est.update(PrintPhase.PRINTING, job(10, 10))
    first = est.estimate()
    assert first is not None
    assert first.remaining_s == pytest.approx(90 * 60)
    clock.now += 60
    est.update(PrintPhase.PRINTING, job(20, 11))  # raw: 44 minutes left
    second = est.estimate()
    assert second is not None
    counted_down = 90 * 60 - 60
    assert second.remaining_s == pytest.approx(0.3 * 44 * 60 + 0.7 * counted_down)


def test_countdown_between_reports_and_pause(est: RemainingTimeEstimator, clock: Clock) -> None:
    """The estimate counts down while printing, stands still while paused, and repeats change nothing."""
    est.set_total(EstimateSource.SLICER, 1000)
    est.update(PrintPhase.PRINTING, job(50, 5))
    clock.now += 100
    est.update(PrintPhase.PRINTING, job(50, 5))  # same values: the countdown goes on
    assert est.estimate().remaining_s == pytest.approx(400)  # type: ignore[union-attr]
    est.update(PrintPhase.PAUSED, job(50, 5))
    clock.now += 500
    assert est.estimate().remaining_s == pytest.approx(400)  # type: ignore[union-attr]
    est.update(PrintPhase.PRINTING, job(50, 5))
    clock.now += 50
    assert est.estimate().remaining_s == pytest.approx(350)  # type: ignore[union-attr]


def test_elapsed_excludes_pause(est: RemainingTimeEstimator, clock: Clock) -> None:
    """Measured printing time leaves out the pause when the printer gives no minutes."""
    est.update(PrintPhase.PRINTING, job(1, 0))
    clock.now += 30
    est.update(PrintPhase.PAUSED, job(1, 0))
    clock.now += 600
    est.update(PrintPhase.PRINTING, job(1, 0))
    clock.now += 30
    assert est.elapsed_s() == pytest.approx(60)


@pytest.mark.parametrize(
    "phase", [PrintPhase.STOPPING, PrintPhase.FINISHED, PrintPhase.STOPPED, PrintPhase.FAILED]
)
def test_no_estimate_after_the_job(est: RemainingTimeEstimator, phase: PrintPhase) -> None:
    """A job that ends or is being stopped has no time left."""
    est.set_total(EstimateSource.SLICER, 1000)
    est.update(PrintPhase.PRINTING, job(50, 5))
    est.update(phase, job(50, 5))
    assert est.estimate() is None


def test_reset_forgets_the_job(est: RemainingTimeEstimator) -> None:
    """A new job does not inherit the last one's slicer time."""
    est.set_total(EstimateSource.SLICER, 1000)
    est.reset()
    est.update(PrintPhase.PRINTING, job(1, 0))
    assert est.estimate() is None


def test_bad_totals(est: RemainingTimeEstimator) -> None:
    """Zero or negative totals are ignored; a non-total source is a programming error."""
    est.set_total(EstimateSource.SLICER, 0)
    est.set_total(EstimateSource.SLICE_PARAM, -5)
    est.update(PrintPhase.PRINTING, job(1, 0))
    assert est.estimate() is None
    with pytest.raises(ValueError):
        est.set_total(EstimateSource.PROGRESS, 10)
