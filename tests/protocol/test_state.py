"""PrinterState tests: reports are merged, the last one wins, and changes are reported."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from custom_components.anycubic_kobra2.kobra2.models import (
    MachineStatus,
    PrintPhase,
    Report,
    SpeedMode,
    Storage,
)
from custom_components.anycubic_kobra2.kobra2.parser import parse_report
from custom_components.anycubic_kobra2.kobra2.state import PrinterState
from tests.helpers.payloads import (
    LIST_DATA,
    PRINT_DATA,
    SAMPLES,
    SETTINGS_DATA,
    encode,
    envelope,
    report_topic,
)


def report(
    msg_type: str, action: str, state: str = "done", data: Any = None, **extra: Any
) -> Report:
    """Parse a report as the printer would publish it."""
    return parse_report(
        report_topic(msg_type), encode(envelope(msg_type, action, state, data, **extra))
    )


def sample(name: str) -> Report:
    """Parse one of the shared sample payloads."""
    msg_type, payload = SAMPLES[name]
    return parse_report(report_topic(msg_type), payload)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.value = 100.0

    def __call__(self) -> float:
        return self.value


def test_new_state_knows_nothing() -> None:
    state = PrinterState()
    assert state.online is None
    assert state.status is None
    assert state.phase is None
    assert state.job is None
    assert state.nozzle is None
    assert state.files == {}
    assert state.last_report == 0.0


def test_online_offline_and_any_report_means_online() -> None:
    state = PrinterState()
    assert state.apply(sample("online")) is True
    assert state.online is True
    assert state.apply(sample("online")) is False
    assert state.apply(sample("offline")) is True
    assert state.online is False
    assert state.apply(sample("temp_kugo_tabs")) is True
    assert state.online is True


def test_offline_keeps_the_last_known_values() -> None:
    state = PrinterState()
    state.apply(sample("temp_ku_init"))
    state.apply(sample("offline"))
    assert state.online is False
    assert state.nozzle == 20.0


def test_temperatures_missing_values_keep_the_last_known() -> None:
    state = PrinterState()
    assert state.apply(sample("temp_kugo_tabs")) is True
    assert (state.nozzle, state.bed, state.target_nozzle, state.target_bed) == (
        27.0,
        27.0,
        0.0,
        0.0,
    )
    assert state.apply(sample("temp_kugo_tabs")) is False
    assert state.apply(report("tempature", "auto", data={"curr_nozzle_temp": 180})) is True
    assert (state.nozzle, state.bed) == (180.0, 27.0)
    # A wrong type is dropped by the parser and so cannot overwrite a good value.
    assert state.apply(report("tempature", "auto", data={"curr_nozzle_temp": "abc"})) is False
    assert state.nozzle == 180.0


def test_last_report_wins() -> None:
    state = PrinterState()
    for value in (20, 150, 90):
        state.apply(report("tempature", "auto", data={"curr_hotbed_temp": value}))
    assert state.bed == 90.0
    state.apply(report("fan", "auto", data={"fan_speed_pct": 10}))
    state.apply(report("print", "update", "updated", {"settings": {"fan_speed_pct": 70}}))
    assert state.fan_speed_pct == 70
    state.apply(report("fan", "auto", data={"fan_speed_pct": 0}))
    assert state.fan_speed_pct == 0


def test_status_is_separate_from_the_print_phase() -> None:
    state = PrinterState()
    state.apply(sample("printing"))
    assert state.apply(sample("status_free")) is True
    assert state.status is MachineStatus.FREE
    assert state.phase is PrintPhase.PRINTING
    assert state.apply(report("status", "workReport", "levelling")) is True
    assert state.status is None


def test_print_flow_from_download_to_finish() -> None:
    state = PrinterState()
    job = {"taskid": "5", "filename": "cube.gcode"}
    state.apply(report("print", "start", "downloading", {**job, "progress": 30}))
    assert state.phase is PrintPhase.DOWNLOADING
    assert state.job is not None
    assert (state.job.download_progress, state.job.progress) == (30, None)
    state.apply(report("print", "start", "downloading", {"taskid": "5"}))
    assert state.job.download_progress == 30  # a report without progress keeps it
    state.apply(report("print", "start", "checking", {"taskid": "5"}))
    assert state.phase is PrintPhase.CHECKING
    assert state.job.download_progress is None
    assert state.job.filename == "cube.gcode"
    state.apply(report("print", "start", "printing", {**job, "progress": 10, "print_time": 3}))
    assert (state.phase, state.job.progress, state.job.print_time_min) == (
        PrintPhase.PRINTING,
        10,
        3,
    )
    state.apply(report("print", "pause", "paused", {"taskid": "5"}))
    assert state.phase is PrintPhase.PAUSED
    assert state.job.progress == 10  # pause reports carry no job fields
    state.apply(report("print", "resume", "resumed", {"taskid": "5"}))
    assert state.phase is PrintPhase.PRINTING
    state.apply(report("print", "start", "finished", {**job, "progress": 100}))
    assert (state.phase, state.job.progress, state.job.taskid) == (PrintPhase.FINISHED, 100, "5")


def test_stoped_and_failed() -> None:
    state = PrinterState()
    state.apply(sample("printing"))
    assert state.apply(sample("stoped")) is True
    assert state.phase is PrintPhase.STOPPED
    state.apply(report("print", "start", "failed", {"taskid": "482913"}, msg="filament runout"))
    assert state.phase is PrintPhase.FAILED
    assert state.job is not None
    assert state.job.message == "filament runout"
    assert state.job.filename == "cube.gcode"


def test_refused_commands_leave_the_running_job_alone() -> None:
    state = PrinterState()
    state.apply(sample("printing"))
    running = state.job
    # A second start while printing, refused for its own task id.
    busy = {"taskid": "222"}
    assert state.apply(report("print", "start", "failed", busy, msg="printer is busy")) is False
    # A pause the printer cannot make, for the running job.
    refused_pause = report("print", "pause", "failed", {"taskid": "482913"}, msg="cannot pause")
    assert state.apply(refused_pause) is False
    assert state.phase is PrintPhase.PRINTING
    assert state.job == running
    # The running job itself failing still counts, with or without its task id.
    assert state.apply(report("print", "stop", "failed", {}, msg="nozzle heating failed"))
    assert state.phase is PrintPhase.FAILED
    assert state.job is not None
    assert (state.job.taskid, state.job.message) == ("482913", "nozzle heating failed")


def test_refused_start_while_idle_is_the_new_jobs_failure() -> None:
    state = PrinterState()
    state.apply(sample("printing"))
    state.apply(sample("stoped"))
    state.apply(report("print", "start", "failed", {"taskid": "222"}, msg="file not found"))
    assert state.phase is PrintPhase.FAILED
    assert state.job is not None
    assert (state.job.taskid, state.job.message) == ("222", "file not found")


def test_new_task_replaces_the_job() -> None:
    state = PrinterState()
    state.apply(sample("printing"))
    state.apply(report("print", "start", "preheating", {"taskid": "99", "filename": "b.gcode"}))
    assert state.job is not None
    assert (state.job.taskid, state.job.filename, state.job.progress) == ("99", "b.gcode", None)


def test_done_action_finishes_the_job() -> None:
    state = PrinterState()
    state.apply(sample("printing"))
    state.apply(report("print", "done", "done", {"taskid": "482913"}))
    assert state.phase is PrintPhase.FINISHED


def test_print_report_with_nothing_in_it_changes_nothing() -> None:
    state = PrinterState()
    state.apply(sample("online"))
    assert state.apply(report("print", "query", "done", None)) is False
    assert state.job is None
    assert state.phase is None


def test_repeated_identical_print_report_is_no_change() -> None:
    state = PrinterState()
    assert state.apply(sample("printing")) is True
    assert state.apply(sample("printing")) is False


def test_settings_report() -> None:
    state = PrinterState()
    assert state.apply(sample("settings")) is True
    assert (state.nozzle, state.bed, state.target_nozzle, state.target_bed) == (
        210.0,
        60.0,
        210.0,
        60.0,
    )
    assert (state.fan_speed_pct, state.speed_mode, state.z_offset) == (100, SpeedMode.NORMAL, 0.0)
    assert state.apply(sample("settings")) is False
    data = {**SETTINGS_DATA, "settings": {**SETTINGS_DATA["settings"], "z_comp": "0.3"}}
    assert state.apply(report("print", "update", "updated", data)) is True
    assert state.z_offset == 0.3
    assert state.print_speed_pct is None


def test_slice_params() -> None:
    state = PrinterState()
    assert state.apply(sample("slice_param")) is True
    assert state.slice_params == {"layers": 120}
    assert state.slice_params_taskid == "482913"
    assert state.apply(sample("slice_param")) is False


def test_file_lists_per_storage_and_delete() -> None:
    state = PrinterState()
    before = datetime.now(UTC)
    assert state.apply(sample("list_local")) is True
    assert [entry.name for entry in state.files[Storage.LOCAL]] == ["cube.gcode", "parts"]
    assert Storage.USB not in state.files
    assert state.files_updated[Storage.LOCAL] >= before
    first_update = state.files_updated[Storage.LOCAL]
    assert state.apply(sample("list_local")) is False
    assert state.files_updated[Storage.LOCAL] >= first_update
    assert state.apply(sample("list_udisk")) is True
    assert len(state.files[Storage.USB]) == 2

    assert state.apply(sample("delete_local")) is True
    assert [entry.name for entry in state.files[Storage.LOCAL]] == ["parts"]
    assert len(state.files[Storage.USB]) == 2
    assert state.apply(sample("delete_local")) is False
    failed = report("file", "deleteLocal", "failed", {"filename": "parts"})
    assert state.apply(failed) is False
    assert [entry.name for entry in state.files[Storage.LOCAL]] == ["parts"]


def test_file_list_replaced_by_a_new_listing() -> None:
    state = PrinterState()
    state.apply(sample("list_local"))
    records = [{"filename": "new.gcode", "size": 5, "timestamp": 1709900000, "is_dir": False}]
    assert state.apply(report("file", "listLocal", data={**LIST_DATA, "records": records})) is True
    assert [entry.name for entry in state.files[Storage.LOCAL]] == ["new.gcode"]


def test_delete_without_a_listing_is_no_change() -> None:
    state = PrinterState()
    state.apply(sample("online"))
    assert state.apply(sample("delete_local")) is False
    assert state.files == {}


def test_firmware_and_ota() -> None:
    state = PrinterState()
    assert state.apply(sample("firmware")) is True
    assert state.firmware_version == "3.1.2"
    assert state.apply(report("ota", "reportVersion", data={})) is False
    assert state.firmware_version == "3.1.2"
    assert state.apply(sample("ota_update")) is True
    assert state.ota is not None
    assert (state.ota.state, state.ota.progress) == ("downloading", 12)
    assert state.apply(sample("ota_update")) is False
    assert state.apply(report("ota", "update", "updating", {"current_progress": 40})) is True
    assert (state.ota.state, state.ota.progress) == ("updating", 40)


def test_unknown_report_only_proves_the_printer_is_online() -> None:
    state = PrinterState()
    assert state.apply(sample("peripherie")) is True
    assert state.online is True
    assert state.apply(sample("cloud_recommend")) is False


def test_last_report_time_is_refreshed_but_is_no_change() -> None:
    clock = Clock()
    state = PrinterState()
    assert state.apply(sample("fan"), now=clock) is True
    assert state.last_report == 100.0
    clock.value = 105.5
    assert state.apply(sample("fan"), now=clock) is False
    assert state.last_report == 105.5


def test_last_report_defaults_to_the_monotonic_clock() -> None:
    state = PrinterState()
    state.apply(sample("fan"))
    assert state.last_report > 0.0


def test_job_layers_stay_unknown_on_a_kobra_2() -> None:
    state = PrinterState()
    state.apply(
        report("print", "start", "printing", {**PRINT_DATA, "curr_layer": 0, "total_layers": -1})
    )
    assert state.job is not None
    assert state.job.curr_layer is None
    assert state.job.total_layers is None
    assert state.job.remain_time_min is None
