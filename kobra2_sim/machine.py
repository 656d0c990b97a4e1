"""The simulated printer's state machine: heaters, fan, settings, print job and OTA, without I/O.

Every mutator returns the reports the firmware would publish as a result, in order, as
`Outgoing` items; the MQTT side (`simulator.py`) only serialises and sends them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import math
import posixpath
import secrets
import time
from typing import Any

from .config import SimulatorConfig
from .storage import LOCAL, USB, FileStore, SimFile, normalize_path, sample_files

# Job states in which the machine is busy; the terminal ones are finished, stoped, failed.
ACTIVE_STATES = frozenset(
    {
        "downloading",
        "checking",
        "preheating",
        "printing",
        "pausing",
        "paused",
        "resuming",
        "stopping",
    }
)
MAX_NOZZLE = 260
MAX_BED = 110
# The sources only say the KUGO UI colours z_comp beyond about ±2 mm; accept a little more.
Z_COMP_LIMIT = 5.0
# Progress speed per print_speed_mode (1 slow, 2 normal, 3 fast); the real factors are unknown.
SPEED_FACTORS = {1: 0.8, 2: 1.0, 3: 1.25}
CHECKING_SECONDS = 2.0
NOZZLE_HEAT_RATE = 3.0  # °C per sim second
BED_HEAT_RATE = 0.7
NOZZLE_COOL_TAU = 90.0  # sim seconds of Newton cooling toward ambient
BED_COOL_TAU = 600.0
_NO_TASK_IDS = frozenset({"", "0", "-1"})


@dataclass(slots=True)
class Outgoing:
    """One report to publish on `<report base>/<type>/report`."""

    type: str
    action: str
    state: str
    data: dict[str, Any] | None
    msg: str = ""
    reply_to: str | None = None
    failed: bool = False


@dataclass(slots=True)
class Job:
    """The current (or last) print job."""

    taskid: str
    localtask: str
    filename: str
    path: str
    storage: str
    source: str
    state: str
    duration_s: float
    filament_mm: float
    elapsed_s: float = 0.0
    download_pct: int = 0
    deadline: float = 0.0
    stop_action: str = "stop"
    failure: str = ""
    reply_to: str | None = None

    @property
    def active(self) -> bool:
        """True until the job has finished, stopped or failed."""
        return self.state in ACTIVE_STATES

    @property
    def progress(self) -> int:
        """Whole percent printed (100 only once finished)."""
        if self.state == "finished":
            return 100
        if self.duration_s <= 0:
            return 0
        return min(99, int(self.elapsed_s * 100 / self.duration_s))


@dataclass(slots=True)
class OtaJob:
    """A firmware update in progress."""

    version: str
    state: str
    percent: float = 0.0
    reported: int = 0
    reply_to: str | None = None


def _number(value: Any) -> float | None:
    """Return a JSON number as float, None for anything else (bools are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if math.isnan(value) or math.isinf(value):
        return None
    return float(value)


class Machine:
    """Everything the simulated printer knows, advanced by `advance(sim_seconds)`."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.now = 0.0
        self.nozzle = config.ambient_temp
        self.bed = config.ambient_temp
        self.target_nozzle = 0
        self.target_bed = 0
        self.fan_speed_pct = 0
        self.print_speed_mode = 2
        self.z_comp = 0.0
        self.firmware = config.firmware
        self.job: Job | None = None
        self.last_job: Job | None = None
        self.ota: OtaJob | None = None
        self.other_work = False
        self.usb_present = True
        self.local = FileStore(
            sample_files(LOCAL) if config.local_files is None else config.local_files
        )
        self.usb = FileStore(sample_files(USB) if config.usb_files is None else config.usb_files)
        self._reported_status = "free"

    # ---- derived state -------------------------------------------------------------

    @property
    def status(self) -> str:
        """Machine status as `status/workReport` reports it."""
        busy = (self.job is not None and self.job.active) or self.ota is not None
        return "busy" if busy or self.other_work else "free"

    def store(self, storage: str) -> FileStore:
        """Return the file tree of "local" or "usb"."""
        return self.usb if storage == USB else self.local

    # ---- report builders -----------------------------------------------------------

    def online_report(self, online: bool) -> Outgoing:
        """`lastWill/onlineReport` online or offline."""
        return Outgoing("lastWill", "onlineReport", "online" if online else "offline", None)

    def status_report(self, reply_to: str | None = None) -> Outgoing:
        """`status/workReport` with free or busy."""
        self._reported_status = self.status
        return Outgoing("status", "workReport", self.status, None, reply_to=reply_to)

    def temperature_report(self) -> Outgoing:
        """`tempature/auto` with whole-degree values, as in the raw captures."""
        return Outgoing(
            "tempature",
            "auto",
            "done",
            {
                "curr_hotbed_temp": round(self.bed),
                "curr_nozzle_temp": round(self.nozzle),
                "target_hotbed_temp": self.target_bed,
                "target_nozzle_temp": self.target_nozzle,
            },
        )

    def fan_report(self) -> Outgoing:
        """`fan/auto` with the part-cooling fan speed."""
        return Outgoing("fan", "auto", "done", {"fan_speed_pct": self.fan_speed_pct})

    def version_report(self, reply_to: str | None = None) -> Outgoing:
        """`ota/reportVersion` with the running firmware version."""
        return Outgoing(
            "ota", "reportVersion", "done", {"firmware_version": self.firmware}, reply_to=reply_to
        )

    def job_data(self, job: Job) -> dict[str, Any]:
        """Build the job fields of a print report, with the Kobra 2's useless layer/time values."""
        downloading = job.state == "downloading"
        return {
            "taskid": job.taskid,
            "localtask": job.localtask,
            "filename": job.filename,
            "progress": job.download_pct if downloading else job.progress,
            "print_time": int(job.elapsed_s // 60),
            "remain_time": self._remain_minutes(job),
            "supplies_usage": int(job.filament_mm * job.progress / 100),
            "curr_layer": 0,
            "total_layers": -1,
        }

    def _remain_minutes(self, job: Job) -> int:
        """Return remain_time: 0 as a Kobra 2 sends it, or the real minutes left if configured."""
        if not self.config.real_remain_time or job.state in ("finished", "stoped", "failed"):
            return 0
        return max(math.ceil((job.duration_s - job.elapsed_s) / 60), 0)

    def job_report(
        self, job: Job, action: str, state: str | None = None, *, reply_to: str | None = None
    ) -> Outgoing:
        """Build a `print` report about a job (state defaults to the job's)."""
        state = state or job.state
        msg = job.failure if state == "failed" else ""
        return Outgoing(
            "print",
            action,
            state,
            self.job_data(job),
            msg=msg,
            reply_to=reply_to,
            failed=state == "failed",
        )

    def progress_report(self) -> Outgoing | None:
        """Build the repeated `print/start` report while preheating or printing, else None."""
        job = self.job
        if job is None or job.state not in ("preheating", "printing"):
            return None
        return self.job_report(job, "start")

    def settings_data(self, taskid: str) -> dict[str, Any]:
        """Build the `print/update` snapshot."""
        z_comp: float | str = round(self.z_comp, 2)
        if self.config.z_comp_as_string:
            z_comp = f"{self.z_comp:.2f}"
        settings: dict[str, Any] = {
            "target_nozzle_temp": self.target_nozzle,
            "target_hotbed_temp": self.target_bed,
            "fan_speed_pct": self.fan_speed_pct,
            "print_speed_mode": self.print_speed_mode,
            "z_comp": z_comp,
        }
        if self.config.send_print_speed_pct:
            settings["print_speed_pct"] = int(SPEED_FACTORS[self.print_speed_mode] * 100)
        return {
            "taskid": taskid,
            "localtask": self.job.localtask if self.job and self.job.active else "",
            "curr_hotbed_temp": round(self.bed),
            "curr_nozzle_temp": round(self.nozzle),
            "settings": settings,
        }

    @staticmethod
    def failure(
        type_: str, action: str, msg: str, data: dict[str, Any] | None, reply_to: str | None
    ) -> Outgoing:
        """Build a `failed` reply to a command."""
        return Outgoing(type_, action, "failed", data, msg=msg, reply_to=reply_to, failed=True)

    # ---- internal helpers ----------------------------------------------------------

    def _status_if_changed(self, out: list[Outgoing]) -> None:
        """Append a work report when free/busy changed since the last one."""
        if self.status != self._reported_status:
            out.append(self.status_report())

    def _set_fan(self, pct: int, out: list[Outgoing]) -> None:
        """Change the fan and report it when the value really changed."""
        if pct != self.fan_speed_pct:
            self.fan_speed_pct = pct
            out.append(self.fan_report())

    def _task_matches(self, job: Job, taskid: Any) -> bool:
        """Accept a command's taskid: the job's id, its local id, or none given."""
        if taskid is None or (isinstance(taskid, str) and taskid in _NO_TASK_IDS):
            return True
        text = str(taskid)
        return text in (job.taskid, job.localtask)

    def _end_job(
        self,
        job: Job,
        action: str,
        state: str,
        out: list[Outgoing],
        reply_to: str | None = None,
    ) -> None:
        """Finish, stop or fail the job: final report, heaters and fan off, machine free."""
        job.state = state
        out.append(self.job_report(job, action, reply_to=reply_to))
        self.last_job = job
        self.target_nozzle = 0
        self.target_bed = 0
        self._set_fan(0, out)
        self._status_if_changed(out)

    def _begin_preheat(self, job: Job, out: list[Outgoing]) -> None:
        """Set the print temperatures from the (simulated) G-code and start heating."""
        job.state = "preheating"
        self.target_nozzle = self.config.print_nozzle_temp
        self.target_bed = self.config.print_bed_temp
        out.append(self.job_report(job, "start"))

    def _temps_reached(self) -> bool:
        """Tell whether both heaters are within a degree of their targets."""
        return self.nozzle >= self.target_nozzle - 1 and self.bed >= self.target_bed - 1

    def _ramp(self, dt: float) -> None:
        """Heat at a fixed rate toward the targets, cool exponentially toward ambient."""
        self.nozzle = self._heater(
            self.nozzle, self.target_nozzle, NOZZLE_HEAT_RATE, NOZZLE_COOL_TAU, dt
        )
        self.bed = self._heater(self.bed, self.target_bed, BED_HEAT_RATE, BED_COOL_TAU, dt)

    def _heater(self, current: float, target: int, rate: float, tau: float, dt: float) -> float:
        """One heater's temperature after dt sim seconds."""
        ambient = self.config.ambient_temp
        if target > 0 and current < target:
            return min(float(target), current + rate * dt)
        floor = float(target) if target > ambient else ambient
        cooled = ambient + (current - ambient) * math.exp(-dt / tau)
        return max(cooled, floor) if current >= floor else current

    # ---- print jobs ----------------------------------------------------------------

    def refuse_start(self, msg: str, taskid: str, reply_to: str | None) -> list[Outgoing]:
        """Refuse a `print/start`: the `failed` reply, then the state the printer stays in.

        No source shows a Kobra 2 refusing a start (reference §9.2), so this is a choice: the
        `failed` reply carries the new job's taskid and the reason in `msg`, and a
        `status/workReport` follows with free or busy, so a client learns whether the printer
        is idle or still busy with the job (or other work) it kept, instead of guessing from
        a `failed` that is not about that job.
        """
        return [
            self.failure("print", "start", msg, {"taskid": taskid}, reply_to),
            self.status_report(),
        ]

    def _refuse_start(self, taskid: str, reply_to: str | None) -> list[Outgoing] | None:
        """Refuse a `print/start` when the machine cannot take a job now."""
        if self.status == "busy":
            return self.refuse_start("printer is busy", taskid, reply_to)
        return None

    def start_file(
        self,
        *,
        taskid: str,
        filename: str,
        folder: str,
        storage: str,
        reply_to: str | None,
        from_screen: bool = False,
    ) -> list[Outgoing]:
        """Start printing a file already on internal storage or on the USB stick."""
        refused = self._refuse_start(taskid, reply_to)
        if refused is not None:
            return refused
        if storage == USB and not self.usb_present:
            return self.refuse_start("no udisk", taskid, reply_to)
        path = normalize_path(filename if filename.startswith("/") else f"{folder}/{filename}")
        store = self.store(storage)
        entry = store.get(path)
        if entry is None or entry.is_dir:
            return self.refuse_start("file not found", taskid, reply_to)
        if not entry.name.lower().endswith(".gcode"):
            return self.refuse_start("unsupported file type", taskid, reply_to)
        job = Job(
            taskid="0" if from_screen else taskid,
            localtask=str(secrets.randbelow(999_999) + 1) if from_screen else "",
            filename=entry.name,
            path=path,
            storage=storage,
            source="screen" if from_screen else storage,
            state="checking",
            duration_s=entry.print_seconds,
            filament_mm=entry.filament_total_mm,
            reply_to=reply_to,
        )
        self.job = job
        out: list[Outgoing] = []
        self._status_if_changed(out)
        if self.config.checking_for_local:
            job.deadline = self.now + CHECKING_SECONDS
            out.append(self.job_report(job, "start", reply_to=reply_to))
        else:
            self._begin_preheat(job, out)
            out[-1].reply_to = reply_to
        return out

    def start_download(
        self, *, taskid: str, filename: str, filesize: int | None, reply_to: str | None
    ) -> tuple[list[Outgoing], Job | None]:
        """Accept a URL print: the caller downloads and reports back through `download_*`."""
        refused = self._refuse_start(taskid, reply_to)
        if refused is not None:
            return refused, None
        name = posixpath.basename(normalize_path(filename or "download.gcode"))
        size = filesize or 0
        job = Job(
            taskid=taskid,
            localtask="",
            filename=name,
            path=normalize_path(name),
            storage=LOCAL,
            source="url",
            state="downloading",
            duration_s=max(60.0, size / 1500.0),
            filament_mm=max(size / 40.0, 100.0),
            reply_to=reply_to,
        )
        self.job = job
        out: list[Outgoing] = []
        self._status_if_changed(out)
        out.append(self.job_report(job, "start", reply_to=reply_to))
        return out, job

    def download_progress(self, job: Job, percent: int) -> list[Outgoing]:
        """Report download progress of a URL job (ignored once the job moved on)."""
        if self.job is not job or job.state != "downloading" or percent == job.download_pct:
            return []
        job.download_pct = max(0, min(100, percent))
        return [self.job_report(job, "start")]

    def download_failed(self, job: Job, reason: str) -> list[Outgoing]:
        """Fail a URL job whose download failed (HTTP error, timeout, too large)."""
        if self.job is not job or job.state != "downloading":
            return []
        job.failure = reason
        out: list[Outgoing] = []
        self._end_job(job, "start", "failed", out, job.reply_to)
        return out

    def download_done(self, job: Job, *, size: int, md5: str, problem: str) -> list[Outgoing]:
        """Download complete: store the file, then check it (problem = why the check fails)."""
        if self.job is not job or job.state != "downloading":
            return []
        job.download_pct = 100
        out = [self.job_report(job, "start")]
        job.state = "checking"
        job.failure = problem
        job.deadline = self.now + CHECKING_SECONDS
        if not problem:
            self.local.add(
                SimFile(
                    job.path,
                    size,
                    _epoch_ms_now(),
                    print_seconds=job.duration_s,
                    filament_mm=job.filament_mm,
                    md5=md5,
                )
            )
        out.append(self.job_report(job, "start"))
        return out

    def start_from_screen(self, filename: str, storage: str) -> tuple[list[Outgoing], Job | None]:
        """Start a print chosen on the touchscreen: taskid "0" and a fresh `localtask`."""
        out = self.start_file(
            taskid="0",
            filename=filename,
            folder="/",
            storage=storage,
            reply_to=None,
            from_screen=True,
        )
        return out, (self.job if self.job and self.job.active and not out[0].failed else None)

    def pause(self, taskid: Any, reply_to: str | None) -> list[Outgoing]:
        """`print/pause`: pausing now, paused after the head parked."""
        job = self.job
        if job is None or not job.active or not self._task_matches(job, taskid):
            return [self._no_job("pause", taskid, reply_to)]
        if job.state not in ("preheating", "printing"):
            return [
                self.failure(
                    "print",
                    "pause",
                    f"cannot pause while {job.state}",
                    self.job_data(job),
                    reply_to,
                )
            ]
        job.state = "pausing"
        job.deadline = self.now + self.config.transition_seconds
        job.reply_to = reply_to
        return [self.job_report(job, "pause", reply_to=reply_to)]

    def resume(self, taskid: Any, reply_to: str | None) -> list[Outgoing]:
        """`print/resume`: resuming now, resumed shortly after."""
        job = self.job
        if job is None or not job.active or not self._task_matches(job, taskid):
            return [self._no_job("resume", taskid, reply_to)]
        if job.state != "paused":
            return [
                self.failure(
                    "print",
                    "resume",
                    f"cannot resume while {job.state}",
                    self.job_data(job),
                    reply_to,
                )
            ]
        job.state = "resuming"
        job.deadline = self.now + self.config.transition_seconds
        job.reply_to = reply_to
        return [self.job_report(job, "resume", reply_to=reply_to)]

    def stop(self, action: str, taskid: Any, reply_to: str | None) -> list[Outgoing]:
        """`print/stop` (or `cancel`): stopping now, `stoped` (sic) shortly after."""
        job = self.job
        if job is None or not job.active or not self._task_matches(job, taskid):
            return [self._no_job(action, taskid, reply_to)]
        if job.state == "stopping":
            return [self.failure("print", action, "already stopping", self.job_data(job), reply_to)]
        job.state = "stopping"
        job.stop_action = action
        job.deadline = self.now + self.config.transition_seconds
        job.reply_to = reply_to
        return [self.job_report(job, action, reply_to=reply_to)]

    def _no_job(self, action: str, taskid: Any, reply_to: str | None) -> Outgoing:
        """Failure reply for a job command without a matching job."""
        data = {"taskid": taskid if isinstance(taskid, str) else "0"}
        return self.failure("print", action, "no such print task", data, reply_to)

    def query_print(self, reply_to: str | None) -> list[Outgoing]:
        """`print/query`: the current (or last) job, or `free` when there never was one."""
        job = self.job if self.job is not None and self.job.active else self.last_job
        if job is None:
            return [Outgoing("print", "query", "free", {"taskid": "0"}, reply_to=reply_to)]
        return [self.job_report(job, "query", reply_to=reply_to)]

    def update(self, taskid: Any, settings: Any, reply_to: str | None) -> list[Outgoing]:
        """`print/update`: apply any given settings, reply with the full snapshot."""
        echo = taskid if isinstance(taskid, str) else "0"
        if settings is None:
            settings = {}
        if not isinstance(settings, Mapping):
            return [self.failure("print", "update", "invalid settings", {"taskid": echo}, reply_to)]
        changes: dict[str, float] = {}
        limits = {
            "target_nozzle_temp": (0.0, float(MAX_NOZZLE)),
            "target_hotbed_temp": (0.0, float(MAX_BED)),
            "fan_speed_pct": (0.0, 100.0),
            "print_speed_mode": (1.0, 3.0),
            "z_comp": (-Z_COMP_LIMIT, Z_COMP_LIMIT),
        }
        for key, (low, high) in limits.items():
            if key not in settings:
                continue
            raw = settings[key]
            value = _number(raw)
            if value is None and key == "z_comp" and isinstance(raw, str):
                try:
                    value = float(raw)
                except ValueError:
                    value = None
            if value is None or not low <= value <= high or not math.isfinite(value):
                return [
                    self.failure(
                        "print", "update", f"invalid value for {key}", {"taskid": echo}, reply_to
                    )
                ]
            if key == "print_speed_mode" and not value.is_integer():
                return [
                    self.failure(
                        "print", "update", f"invalid value for {key}", {"taskid": echo}, reply_to
                    )
                ]
            changes[key] = value
        old_fan = self.fan_speed_pct
        if "target_nozzle_temp" in changes:
            self.target_nozzle = int(changes["target_nozzle_temp"])
        if "target_hotbed_temp" in changes:
            self.target_bed = int(changes["target_hotbed_temp"])
        if "print_speed_mode" in changes:
            self.print_speed_mode = int(changes["print_speed_mode"])
        if "z_comp" in changes:
            self.z_comp = round(changes["z_comp"], 2)
        out = [Outgoing("print", "update", "updated", self.settings_data(echo), reply_to=reply_to)]
        if "fan_speed_pct" in changes:
            self.fan_speed_pct = old_fan
            self._set_fan(int(changes["fan_speed_pct"]), out)
            out[0].data = self.settings_data(echo)
        return out

    def slice_param(self, taskid: Any, reply_to: str | None) -> list[Outgoing]:
        """`print/getSliceParam`: estimates for the current or last job."""
        job = self.job if self.job is not None and self.job.active else self.last_job
        if job is None or not self._task_matches(job, taskid):
            return [self._no_job("getSliceParam", taskid, reply_to)]
        params = {
            "estimate": int(job.duration_s),
            "supplies_usage": int(job.filament_mm),
            "material_name": "PLA",
            "nozzle_temp": self.config.print_nozzle_temp,
            "hotbed_temp": self.config.print_bed_temp,
        }
        return [
            Outgoing(
                "print",
                "getSliceParam",
                "done",
                {"taskid": job.taskid, "slice_param": params},
                reply_to=reply_to,
            )
        ]

    def local_task_trans(self, taskid: Any, localtask: Any, reply_to: str | None) -> list[Outgoing]:
        """`print/localtasktrans`: give a touchscreen job the task id the caller chose."""
        job = self.job
        if (
            job is None
            or not job.active
            or not isinstance(taskid, str)
            or not taskid
            or str(localtask) != job.localtask
        ):
            data = {"taskid": taskid if isinstance(taskid, str) else "0"}
            return [self.failure("print", "localtasktrans", "no such local task", data, reply_to)]
        job.taskid = taskid
        data = {"taskid": job.taskid, "localtask": job.localtask}
        return [Outgoing("print", "localtasktrans", "done", data, reply_to=reply_to)]

    # ---- files ---------------------------------------------------------------------

    def list_files(
        self, storage: str, path: str, action: str, reply_to: str | None
    ) -> list[Outgoing]:
        """`file/listLocal|listUdisk`: the entries of one folder."""
        if storage == USB and not self.usb_present:
            return [self.failure("file", action, "no udisk", None, reply_to)]
        entries = self.store(storage).list_dir(path)
        if entries is None:
            return [self.failure("file", action, "path not found", None, reply_to)]
        records = [
            {
                "filename": entry.name,
                "size": entry.size,
                "timestamp": entry.mtime_ms,
                "is_dir": entry.is_dir,
            }
            for entry in entries
        ]
        data = {"list_mode": 1, "records": records}
        return [Outgoing("file", action, "done", data, reply_to=reply_to)]

    def delete_file(
        self, storage: str, folder: str, filename: str, action: str, reply_to: str | None
    ) -> list[Outgoing]:
        """`file/deleteLocal|deleteUdisk`: `success`, or `failed` when missing or printing."""
        target = normalize_path(
            filename if filename.startswith("/") else f"{folder or '/'}/{filename}"
        )
        data = {"filename": posixpath.basename(target), "path": posixpath.dirname(target)}
        if storage == USB and not self.usb_present:
            return [self.failure("file", action, "no udisk", data, reply_to)]
        job = self.job
        if (
            job is not None
            and job.active
            and job.storage == storage
            and (job.path == target or job.path.startswith(target + "/"))
        ):
            return [self.failure("file", action, "file is being printed", data, reply_to)]
        if target == "/" or not self.store(storage).remove(target):
            return [self.failure("file", action, "file not found", data, reply_to)]
        return [Outgoing("file", action, "success", data, reply_to=reply_to)]

    # ---- firmware ------------------------------------------------------------------

    def ota_update(self, version: Any, reply_to: str | None) -> list[Outgoing]:
        """`ota/update`: start, downloading…, updating…, then the new version is reported."""
        if not isinstance(version, str) or not version:
            return [self.failure("ota", "update", "missing firmware_version", None, reply_to)]
        if self.status == "busy":
            return [self.failure("ota", "update", "printer is busy", None, reply_to)]
        self.ota = OtaJob(version=version, state="downloading", reply_to=reply_to)
        out = [Outgoing("ota", "update", "start", {"progress": 0}, reply_to=reply_to)]
        self._status_if_changed(out)
        return out

    def _advance_ota(self, dt: float, out: list[Outgoing]) -> None:
        """Move an update along; a report at every 10 % step of each phase."""
        ota = self.ota
        if ota is None:
            return
        half = max(self.config.ota_seconds / 2, 1e-6)
        ota.percent = min(100.0, ota.percent + dt * 100 / half)
        step = int(ota.percent // 10) * 10
        if step > ota.reported or (step == 100 and ota.reported < 100):
            ota.reported = step
            key = "progress" if ota.state == "downloading" else "current_progress"
            out.append(Outgoing("ota", "update", ota.state, {key: step}))
        if ota.percent < 100:
            return
        if ota.state == "downloading":
            ota.state, ota.percent, ota.reported = "updating", 0.0, 0
            return
        self.firmware = ota.version
        self.ota = None
        out.append(self.version_report())
        self._status_if_changed(out)

    # ---- time ----------------------------------------------------------------------

    def advance(self, dt: float) -> list[Outgoing]:
        """Let dt sim seconds pass; returns the reports that produced."""
        self.now += dt
        self._ramp(dt)
        out: list[Outgoing] = []
        job = self.job
        if job is not None:
            self._advance_job(job, dt, out)
        self._advance_ota(dt, out)
        return out

    def _advance_job(self, job: Job, dt: float, out: list[Outgoing]) -> None:
        """Job transitions that depend on time or temperature."""
        if job.state == "checking" and self.now >= job.deadline:
            if job.failure:
                self._end_job(job, "start", "failed", out, job.reply_to)
            else:
                self._begin_preheat(job, out)
        elif job.state == "preheating" and self._temps_reached():
            job.state = "printing"
            out.append(self.job_report(job, "start"))
            self._set_fan(100, out)
        elif job.state == "printing":
            job.elapsed_s += dt * SPEED_FACTORS.get(self.print_speed_mode, 1.0)
            if job.elapsed_s >= job.duration_s:
                job.elapsed_s = job.duration_s
                self._end_job(job, "start", "finished", out)
        elif job.state == "pausing" and self.now >= job.deadline:
            job.state = "paused"
            out.append(self.job_report(job, "pause", reply_to=job.reply_to))
        elif job.state == "resuming" and self.now >= job.deadline:
            job.state = "printing"
            out.append(self.job_report(job, "resume", "resumed", reply_to=job.reply_to))
        elif job.state == "stopping" and self.now >= job.deadline:
            self._end_job(job, job.stop_action, "stoped", out, job.reply_to)


def _epoch_ms_now() -> int:
    """Return the wall-clock time in epoch milliseconds."""
    return int(time.time() * 1000)
