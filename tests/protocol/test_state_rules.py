"""What the printer state says about the job: print state, allowed actions, task id (no Home Assistant)."""

from __future__ import annotations

import pytest

from custom_components.anycubic_kobra2.kobra2 import commands
from custom_components.anycubic_kobra2.kobra2.models import (
    ACTIVE_PHASES,
    MachineStatus,
    PrintJob,
    PrintPhase,
    SpeedMode,
)
from custom_components.anycubic_kobra2.kobra2.state import (
    PRINT_STATES,
    SPEED_MODE_OPTIONS,
    PrinterState,
)

P = PrintPhase


@pytest.mark.parametrize(
    ("status", "phase", "expected"),
    [
        (None, None, None),
        (MachineStatus.FREE, None, "idle"),
        (MachineStatus.BUSY, None, "busy"),
        (MachineStatus.FREE, P.PRINTING, "printing"),
        (MachineStatus.BUSY, P.PAUSED, "paused"),
        # A running job wins over the machine status; a past outcome only over "free".
        (MachineStatus.BUSY, P.FINISHED, "busy"),
        (MachineStatus.FREE, P.FINISHED, "finished"),
        (None, P.STOPPED, "stopped"),
        (MachineStatus.FREE, P.FAILED, "failed"),
    ],
)
def test_print_state(
    status: MachineStatus | None, phase: PrintPhase | None, expected: str | None
) -> None:
    """One printer state comes out of the machine status and the job phase."""
    state = PrinterState(status=status, phase=phase)
    assert state.print_state == expected
    assert expected is None or expected in PRINT_STATES


def test_every_phase_is_a_print_state() -> None:
    """The print states are idle, busy and every phase, each once."""
    assert PRINT_STATES[:2] == ["idle", "busy"]
    assert set(PRINT_STATES[2:]) == {phase.value for phase in PrintPhase}
    assert len(PRINT_STATES) == len(set(PRINT_STATES))


@pytest.mark.parametrize("phase", [None, *PrintPhase])
def test_job_actions(phase: PrintPhase | None) -> None:
    """Pause, resume and stop are offered only in the phases the printer takes them."""
    state = PrinterState(phase=phase)
    assert state.job_active is (phase in ACTIVE_PHASES)
    assert state.can_pause is (phase in (P.PREHEATING, P.PRINTING, P.RESUMING))
    assert state.can_resume is (phase in (P.PAUSING, P.PAUSED))
    assert state.can_stop is (phase in ACTIVE_PHASES and phase is not P.STOPPING)


def test_command_taskid() -> None:
    """Commands about the job carry its task id, or "0" when no job is known."""
    assert PrinterState().command_taskid == "0"
    assert PrinterState(job=PrintJob()).command_taskid == "0"
    assert PrinterState(job=PrintJob(taskid="")).command_taskid == "0"
    assert PrinterState(job=PrintJob(taskid="42")).command_taskid == "42"


def test_speed_mode_option() -> None:
    """The speed mode reads as its lower-case name, one of the options."""
    assert PrinterState().speed_mode_option is None
    for mode in SpeedMode:
        option = PrinterState(speed_mode=mode).speed_mode_option
        assert option == mode.name.lower()
        assert option in SPEED_MODE_OPTIONS
    assert len(SPEED_MODE_OPTIONS) == len(SpeedMode)


def test_full_state_queries() -> None:
    """A full state is status, print, settings and version, each asked once."""
    queries = commands.full_state_queries()
    assert [(cmd.type, cmd.action) for cmd in queries] == [
        (cmd.type, cmd.action)
        for cmd in (
            commands.query_status(),
            commands.query_print(),
            commands.query_settings(),
            commands.report_version(),
        )
    ]
    assert len({(cmd.type, cmd.action) for cmd in queries}) == 4
