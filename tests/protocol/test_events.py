"""Print events out of print reports: the rules of PrintEventTracker (no Home Assistant)."""

from __future__ import annotations

from typing import Any

from custom_components.anycubic_kobra2.kobra2.events import PrintEventTracker
from custom_components.anycubic_kobra2.kobra2.models import PrintJob, PrintPhase

P = PrintPhase


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        """Start at zero."""
        self.now = 0.0

    def __call__(self) -> float:
        """Return the current time."""
        return self.now


def _feed(tracker: PrintEventTracker, *steps: tuple[PrintPhase | None, PrintJob]) -> list[Any]:
    """Feed reports and return the (type, attributes) of the events they made."""
    events = [tracker.feed(phase, job) for phase, job in steps]
    return [(e.event_type, e.attributes) for e in events if e is not None]


def test_full_job_from_idle() -> None:
    """A job watched from the start fires started, paused, resumed and finished once each."""
    clock = Clock()
    tracker = PrintEventTracker(phase=P.FINISHED, taskid="1", clock=clock)
    job = PrintJob(taskid="2", filename="cube.gcode", progress=0)
    events = _feed(tracker, (P.PREHEATING, job), (P.PRINTING, job), (P.PRINTING, job))
    assert events == [("started", {"file_name": "cube.gcode", "task_id": "2"})]
    clock.now = 600
    paused = PrintJob(taskid="2", progress=40, filament_used_mm=800.0)
    assert _feed(tracker, (P.PAUSING, paused), (P.PAUSED, paused), (P.PAUSED, paused)) == [
        (
            "paused",
            # The file name stays known from earlier reports of the same task; the duration
            # is measured since the start when the printer gives none.
            {
                "file_name": "cube.gcode",
                "task_id": "2",
                "duration": 600,
                "filament_used_mm": 800.0,
                "progress": 40,
            },
        )
    ]
    assert [e[0] for e in _feed(tracker, (P.RESUMING, paused), (P.PRINTING, paused))] == ["resumed"]
    done = PrintJob(taskid="2", progress=100, print_time_min=35, filament_used_mm=1234.5)
    assert _feed(tracker, (P.FINISHED, done), (P.FINISHED, done)) == [
        (
            "finished",
            {
                "file_name": "cube.gcode",
                "task_id": "2",
                "duration": 2100,
                "filament_used_mm": 1234.5,
                "progress": 100,
            },
        )
    ]


def test_joining_a_running_job_fires_no_start() -> None:
    """After a restart in the middle of a job only its end is an event."""
    tracker = PrintEventTracker()
    job = PrintJob(taskid="7", filename="a.gcode", progress=42)
    assert _feed(tracker, (P.PRINTING, job), (P.PAUSED, job)) == [
        ("paused", {"file_name": "a.gcode", "task_id": "7", "progress": 42})
    ]
    stopped = PrintJob(taskid="7", progress=57, print_time_min=48)
    assert [e[0] for e in _feed(tracker, (P.STOPPING, stopped), (P.STOPPED, stopped))] == [
        "stopped"
    ]


def test_first_report_decides_about_start() -> None:
    """Without history a start is only seen when the job evidently just began."""
    for phase, progress, expected in [
        (P.DOWNLOADING, None, ["started"]),
        (P.CHECKING, None, ["started"]),
        (P.PREHEATING, None, ["started"]),
        (P.PRINTING, 0, ["started"]),
        (P.PRINTING, None, ["started"]),
        (P.PRINTING, 3, []),
        (P.FINISHED, 100, []),
        (P.FAILED, None, []),
        (None, None, []),
    ]:
        tracker = PrintEventTracker()
        events = _feed(tracker, (phase, PrintJob(taskid="1", progress=progress)))
        assert [e[0] for e in events] == expected, phase


def test_failures() -> None:
    """A failure ends a running job, and a new task refused at once is a failure too."""
    tracker = PrintEventTracker(phase=P.FINISHED, taskid="1")
    refused = PrintJob(taskid="2", filename="b.gcode", message="file not found")
    assert _feed(tracker, (P.FAILED, refused)) == [
        ("failed", {"file_name": "b.gcode", "task_id": "2", "reason": "file not found"})
    ]
    # Repeats of the same failed answer are not new events, nor is an old one replayed.
    assert _feed(tracker, (P.FAILED, refused)) == []
    downloading = PrintJob(taskid="3", filename="c.gcode")
    failed = PrintJob(taskid="3", message="download failed: HTTP 404")
    assert _feed(tracker, (P.DOWNLOADING, downloading), (P.FAILED, failed)) == [
        ("started", {"file_name": "c.gcode", "task_id": "3"}),
        (
            "failed",
            {
                "file_name": "c.gcode",
                "task_id": "3",
                "duration": 0,
                "reason": "download failed: HTTP 404",
            },
        ),
    ]


def test_new_job_forgets_the_old_file() -> None:
    """Attributes of one job never leak into the next; a renamed running job keeps them."""
    tracker = PrintEventTracker(phase=P.FINISHED, taskid="1")
    _feed(tracker, (P.PRINTING, PrintJob(taskid="0", filename="touch.gcode", progress=0)))
    # The printer renames a touchscreen job (taskid "0" → its own id) while it runs.
    events = _feed(tracker, (P.STOPPED, PrintJob(taskid="55")))
    assert events[0][1]["file_name"] == "touch.gcode"
    events = _feed(
        tracker,
        (P.PREHEATING, PrintJob(taskid="56")),
        (P.FAILED, PrintJob(taskid="56", message="x")),
    )
    assert [e[1].get("file_name") for e in events] == [None, None]
