"""KobraClient against KobraSimulator on real loopback brokers: issue 3's end-to-end done-means."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
import contextlib
from dataclasses import dataclass
import hashlib
import inspect
import json
import time
from typing import Any

import pytest

from custom_components.anycubic_kobra2.kobra2 import commands
from custom_components.anycubic_kobra2.kobra2.client import (
    BrokerConfig,
    DiscoveredPrinter,
    KobraClient,
    discover,
)
from custom_components.anycubic_kobra2.kobra2.commands import Command
from custom_components.anycubic_kobra2.kobra2.exceptions import (
    KobraAuthError,
    KobraCommandError,
    KobraConnectionError,
)
from custom_components.anycubic_kobra2.kobra2.models import (
    FileDeleteReport,
    FileListReport,
    FirmwareReport,
    MachineStatus,
    OtaProgressReport,
    PrintPhase,
    PrintReport,
    Report,
    SettingsReport,
    SliceParamReport,
    SpeedMode,
    StatusReport,
    Storage,
    TemperatureReport,
    UnknownReport,
)
from custom_components.anycubic_kobra2.kobra2.state import PrinterState
from kobra2_sim import (
    KobraSimulator,
    SimFile,
    SimulatorConfig,
)
from tests.helpers.brokers import LOOPBACK, AmqttBroker, AnyBroker, MosquittoBroker
from tests.helpers.certs import generate_pki
from tests.helpers.http import serve_files

TASKID = "482913"
GCODE = b";FLAVOR:Marlin\nG28\n" + b"G1 X10 Y10 E0.5\n" * 4000
GCODE_MD5 = hashlib.md5(GCODE).hexdigest()
# 60 sim seconds print in about 0.1 s at time_scale 600; the 10-hour ones never finish in a test.
LOCAL_FILES = (
    SimFile("/short.gcode", 120_000, print_seconds=60),
    SimFile("/long.gcode", 9_000_000, print_seconds=36_000),
    SimFile("/parts/clip.gcode", 50_000, print_seconds=60),
)
USB_FILES = (
    SimFile("/usb_short.gcode", 100_000, print_seconds=60),
    SimFile("/prints/usb_long.gcode", 8_000_000, print_seconds=36_000),
)
SIM_FAST: dict[str, Any] = {
    "time_scale": 600.0,
    "temp_interval": 0.05,
    "report_interval": 0.02,
    "tick_interval": 0.01,
    "reconnect_delay": 0.05,
}
# Generous: the machine has two CPUs shared with other test runs.
WAIT = 30.0


def in_order(expected: Sequence[object], seen: Sequence[object]) -> bool:
    """Tell whether expected occurs in seen in this order (other items may come between)."""
    rest = iter(seen)
    return all(any(item == wanted for item in rest) for wanted in expected)


def assert_phases(seen: Sequence[PrintPhase], expected: Sequence[PrintPhase]) -> None:
    """Assert the phases went through expected in order and through no other phase."""
    assert in_order(expected, seen), f"phases {seen} lack {expected} in order"
    assert set(seen) <= set(expected), f"unexpected phases in {seen}"


class Watch:
    """What a KobraClient delivered through on_report, folded into a PrinterState."""

    def __init__(self) -> None:
        self.state = PrinterState()
        self.reports: list[Report] = []
        self.phases: list[PrintPhase] = []
        self.statuses: list[MachineStatus] = []
        self.downloads: list[int] = []
        self._changed = asyncio.Event()

    def on_report(self, report: Report) -> None:
        """Record the report and each phase or status the state moves to."""
        self.reports.append(report)
        phase, status = self.state.phase, self.state.status
        self.state.apply(report)
        if self.state.phase is not None and self.state.phase != phase:
            self.phases.append(self.state.phase)
        if self.state.status is not None and self.state.status != status:
            self.statuses.append(self.state.status)
        if isinstance(report, PrintReport) and report.job.download_progress is not None:
            self.downloads.append(report.job.download_progress)
        self._changed.set()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = WAIT) -> None:
        """Wait (woken by each report) until predicate holds."""
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    async def wait_phases(self, *expected: PrintPhase) -> None:
        """Wait until the state has gone through expected in order."""
        await self.wait_for(lambda: in_order(expected, self.phases))


@contextlib.asynccontextmanager
async def simulating(port: int, **overrides: Any) -> AsyncIterator[KobraSimulator]:
    """Run a fast simulator with LOCAL_FILES and USB_FILES on 127.0.0.1:port."""
    options = {"local_files": LOCAL_FILES, "usb_files": USB_FILES, **SIM_FAST, **overrides}
    sim = KobraSimulator(SimulatorConfig(port=port, **options))
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@contextlib.asynccontextmanager
async def linked(
    cfg: BrokerConfig, sim: KobraSimulator
) -> AsyncIterator[tuple[KobraClient, Watch]]:
    """Connect a KobraClient for sim's printer (after sim announced itself) and run it."""
    watch = Watch()
    client = KobraClient(cfg, sim.model_id, sim.printer_id, on_report=watch.on_report)
    await client.connect()
    client.start()
    try:
        yield client, watch
    finally:
        await client.stop()


def plain(broker: AnyBroker, **kwargs: Any) -> BrokerConfig:
    """Return a plain-MQTT BrokerConfig for broker."""
    return BrokerConfig(broker.host, broker.port, **kwargs)


# --- every command round-trips ------------------------------------------------------------


@dataclass
class Ctx:
    """What a round-trip case can use to build its command and check the outcome."""

    sim: KobraSimulator
    client: KobraClient
    watch: Watch
    url: str
    localtask: str = ""


async def _idle(ctx: Ctx) -> None:
    """Leave the printer free."""


async def _printing(ctx: Ctx) -> None:
    """Start the long local print as TASKID."""
    await ctx.client.request(commands.start_local_print("long.gcode", taskid=TASKID))


async def _paused(ctx: Ctx) -> None:
    """Start the long local print and pause it."""
    await _printing(ctx)
    await ctx.client.request(commands.pause_print(TASKID))
    await ctx.watch.wait_phases(PrintPhase.PAUSED)


async def _screen_job(ctx: Ctx) -> None:
    """Start the long local print from the touchscreen (taskid "0", a fresh localtask)."""
    ctx.localtask = await ctx.sim.start_print("long.gcode")


# A busy machine may reach the print temperatures before the next command arrives.
_RUNNING = (PrintPhase.PREHEATING, PrintPhase.PRINTING)


def _names(report: FileListReport) -> list[str]:
    """Return the sorted names of a listing."""
    return sorted(entry.name for entry in report.files)


@dataclass(frozen=True, slots=True)
class Case:
    """One builder call, the reply class it must produce and what the reply (or error) says."""

    builder: Callable[..., Command]
    args: Callable[[Ctx], dict[str, Any]]
    expect: type[Report] | type[KobraCommandError]
    got: Callable[[Any, Ctx], object]
    want: object
    setup: Callable[[Ctx], Awaitable[None]] = _idle
    label: str = ""

    @property
    def id(self) -> str:
        """Return the test id: the builder's name and the label."""
        return "-".join(filter(None, (self.builder.__name__, self.label)))


def _job_command(
    builder: Callable[[str], Command],
    phase: PrintPhase,
    setup: Callable[[Ctx], Awaitable[None]] = _printing,
) -> Case:
    """Return the case of a command on the running job, answered under its own action."""
    action = builder(TASKID).action
    return Case(
        builder,
        lambda c: {"taskid": TASKID},
        PrintReport,
        lambda r, c: (r.envelope.action, r.phase, r.job.taskid),
        (action, phase, TASKID),
        setup=setup,
    )


def _delete(storage: Storage, path: str) -> Case:
    """Return the case of deleting path: a success reply, and the file is gone."""

    def files(c: Ctx) -> Mapping[str, SimFile]:
        """Return the simulated storage the file was on."""
        return c.sim.local_files if storage is Storage.LOCAL else c.sim.usb_files

    return Case(
        commands.delete_file,
        lambda c: {"storage": storage, "path": path},
        FileDeleteReport,
        lambda r, c: (r.storage, r.success, r.filename, path in files(c)),
        (storage, True, path.rsplit("/", 1)[1], False),
        label=storage.value,
    )


# What the simulator answers follows section 6 of the protocol reference. Every command gets
# an answer from the simulator, so no case checks receipt alone.
CASES = (
    Case(
        commands.list_files,
        lambda c: {"storage": Storage.LOCAL, "path": "/parts"},
        FileListReport,
        lambda r, c: (r.storage, _names(r)),
        (Storage.LOCAL, ["clip.gcode"]),
        label="local",
    ),
    Case(
        commands.list_files,
        lambda c: {"storage": "usb"},
        FileListReport,
        lambda r, c: (r.storage, _names(r)),
        (Storage.USB, ["prints", "usb_short.gcode"]),
        label="usb",
    ),
    _delete(Storage.LOCAL, "/parts/clip.gcode"),
    _delete(Storage.USB, "/usb_short.gcode"),
    Case(
        commands.query_status,
        lambda c: {},
        StatusReport,
        lambda r, c: (r.envelope.action, r.status),
        ("workReport", MachineStatus.FREE),
    ),
    Case(
        # The reply's action is unknown (§6), so any report of the job answers, and the
        # periodic print/start report of the running job may come before print/query.
        commands.query_print,
        lambda c: {"taskid": TASKID},
        PrintReport,
        lambda r, c: (r.envelope.action in ("query", "start"), r.phase in _RUNNING, r.job.taskid),
        (True, True, TASKID),
        setup=_printing,
    ),
    Case(
        commands.start_local_print,
        lambda c: {"filename": "long.gcode", "taskid": TASKID},
        PrintReport,
        lambda r, c: (r.phase, r.job.taskid, r.job.filename, c.sim.state.storage),
        (PrintPhase.PREHEATING, TASKID, "long.gcode", "local"),
    ),
    Case(
        commands.start_usb_print,
        lambda c: {"filename": "usb_long.gcode", "folder": "/prints", "taskid": TASKID},
        PrintReport,
        lambda r, c: (r.phase, r.job.taskid, r.job.filename, c.sim.state.storage),
        (PrintPhase.PREHEATING, TASKID, "usb_long.gcode", "usb"),
    ),
    Case(
        commands.start_url_print,
        lambda c: {
            "url": f"{c.url}/cube.gcode",
            "md5": GCODE_MD5,
            "size": len(GCODE),
            "filename": "cube.gcode",
            "taskid": TASKID,
        },
        PrintReport,
        lambda r, c: (r.phase, r.job.taskid, r.job.filename, r.job.download_progress),
        (PrintPhase.DOWNLOADING, TASKID, "cube.gcode", 0),
    ),
    _job_command(commands.pause_print, PrintPhase.PAUSING),
    _job_command(commands.resume_print, PrintPhase.RESUMING, setup=_paused),
    _job_command(commands.stop_print, PrintPhase.STOPPING),
    # The reference leaves cancel open; the simulator treats it as stop.
    _job_command(commands.cancel_print, PrintPhase.STOPPING),
    Case(
        commands.update_settings,
        lambda c: {
            "target_nozzle": 200,
            "target_bed": 55,
            "fan_speed_pct": 40,
            "speed_mode": SpeedMode.FAST,
            "z_offset": -0.15,
        },
        SettingsReport,
        lambda r, c: (r.target_nozzle, r.target_bed, r.fan_speed_pct, r.speed_mode, r.z_offset),
        (200, 55, 40, SpeedMode.FAST, -0.15),
    ),
    Case(
        commands.query_settings,
        lambda c: {},
        SettingsReport,
        lambda r, c: (r.taskid, r.target_nozzle, r.fan_speed_pct, r.speed_mode, r.z_offset),
        (None, 0, 0, SpeedMode.NORMAL, 0.0),  # taskid "0": no particular job
    ),
    Case(
        commands.get_slice_param,
        lambda c: {"taskid": TASKID},
        SliceParamReport,
        lambda r, c: (r.taskid, r.params["estimate"], r.params["material_name"]),
        (TASKID, 36_000, "PLA"),
        setup=_printing,
    ),
    Case(
        # The parser has no model for this reply (its content is unknown per the reference).
        commands.local_task_trans,
        lambda c: {"taskid": TASKID, "localtask": c.localtask},
        UnknownReport,
        lambda r, c: (r.envelope.state, r.data == {"taskid": TASKID, "localtask": c.localtask}),
        ("done", True),
        setup=_screen_job,
    ),
    Case(
        commands.report_version,
        lambda c: {},
        FirmwareReport,
        lambda r, c: r.version,
        "3.1.2",
    ),
    Case(
        commands.ota_update,
        lambda c: {
            "url": f"{c.url}/firmware.bin",
            "md5": GCODE_MD5,
            "version": "3.1.4",
            "size": 1024,
            "name": "firmware.bin",
        },
        OtaProgressReport,
        lambda r, c: (r.state, r.progress),
        ("start", 0),
    ),
    Case(
        # A Kobra 2 has no camera: the printer answers "failed", which request() raises.
        commands.start_capture,
        lambda c: {"region": "eu", "secret_id": "id", "secret_key": "key", "session_token": "t"},
        KobraCommandError,
        lambda e, c: (e.state, str(e)),
        ("failed", "no camera"),
    ),
    Case(
        # Meaningless without the cloud: an empty list the parser keeps as an unknown report.
        commands.cloud_recommend_list,
        lambda c: {},
        UnknownReport,
        lambda r, c: (r.envelope.action, r.data),
        ("cloudRecommendList", {"records": []}),
    ),
)


def test_every_builder_has_a_case() -> None:
    """A builder added to commands.py without a round-trip case fails here."""
    builders = {
        name
        for name, function in inspect.getmembers(commands, inspect.isfunction)
        if function.__module__ == commands.__name__
        and not name.startswith("_")
        and inspect.signature(function, eval_str=True).return_annotation is Command
    }
    assert builders, "no builders found: did the inspection break?"
    assert builders == {case.builder.__name__ for case in CASES}


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A broker as both sides reach it: the client's settings and the simulator's options."""

    port: int
    cfg: BrokerConfig
    sim_options: dict[str, Any]


@pytest.fixture(params=["amqtt", "mosquitto", "amqtt-tls-password"])
async def endpoint(
    request: pytest.FixtureRequest,
    make_amqtt: Callable[..., Awaitable[AmqttBroker]],
    make_mosquitto: Callable[..., Awaitable[MosquittoBroker]],
) -> Endpoint:
    """Provide anonymous amqtt, anonymous mosquitto, and amqtt with TLS and a password."""
    if request.param == "mosquitto":
        broker: AnyBroker = await make_mosquitto()
        return Endpoint(broker.port, plain(broker), {})
    if request.param == "amqtt":
        broker = await make_amqtt()
        return Endpoint(broker.port, plain(broker), {})
    secure = await make_amqtt(tls=True, username="maker", password="s3cret")
    options: dict[str, Any] = {
        "username": "maker",
        "password": "s3cret",
        "tls": True,
        "ca_data": secure.pki.ca_pem,
    }
    return Endpoint(secure.tls_port, BrokerConfig(LOOPBACK, secure.tls_port, **options), options)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_command_roundtrip(endpoint: Endpoint, case: Case) -> None:
    """The simulator gets the builder's exact payload; the client parses the reply into its model."""
    # strict_topics: the printer acts only on `.../<type>` like firmware 3.1.x.
    async with (
        serve_files({"cube.gcode": GCODE}) as url,
        simulating(
            endpoint.port, strict_topics=True, time_scale=60.0, **endpoint.sim_options
        ) as sim,
        linked(endpoint.cfg, sim) as (client, watch),
    ):
        ctx = Ctx(sim, client, watch, url)
        await case.setup(ctx)
        cmd = case.builder(**case.args(ctx))
        if issubclass(case.expect, KobraCommandError):
            with pytest.raises(case.expect) as err:
                await client.request(cmd, timeout=WAIT)
            got = case.got(err.value, ctx)
        else:
            reply = await client.request(cmd, timeout=WAIT)
            assert type(reply) is case.expect
            assert (reply.envelope.type, reply.model_id, reply.printer_id) == (
                cmd.type,
                sim.model_id,
                sim.printer_id,
            )
            got = case.got(reply, ctx)
        # An answer may come before the command arrives (see query_print).
        arrived = await sim.wait_for_command(cmd.type, cmd.action, timeout=WAIT)
        while arrived.msgid != cmd.msgid:
            arrived = await sim.wait_for_command(cmd.type, cmd.action, timeout=WAIT)
        assert [c.msgid for c in sim.received].count(cmd.msgid) == 1
    assert got == case.want
    sent = json.loads(cmd.payload())
    assert sent == {
        "type": cmd.type,
        "action": cmd.action,
        "msgid": cmd.msgid,
        "timestamp": cmd.timestamp,
        "data": None if cmd.data is None else dict(cmd.data),
    }
    assert arrived.payload == cmd.payload()
    assert json.loads(arrived.payload) == sent
    assert (arrived.type, arrived.action, arrived.msgid, arrived.data) == (
        cmd.type,
        cmd.action,
        cmd.msgid,
        sent["data"],
    )
    assert arrived.topic == cmd.topic(sim.model_id, sim.printer_id)
    assert arrived.handled


# --- print lifecycles on mosquitto, seen through the client ------------------------------


async def test_local_print_finishes(mosquitto_broker: MosquittoBroker) -> None:
    """Local file: preheating → printing → finished at 100 %, busy then free again."""
    async with (
        simulating(mosquitto_broker.port) as sim,
        linked(plain(mosquitto_broker), sim) as (client, watch),
    ):
        await client.request(commands.start_local_print("short.gcode", taskid=TASKID))
        await watch.wait_phases(PrintPhase.FINISHED)
        await watch.wait_for(
            lambda: in_order([MachineStatus.BUSY, MachineStatus.FREE], watch.statuses)
        )
    assert_phases(watch.phases, [PrintPhase.PREHEATING, PrintPhase.PRINTING, PrintPhase.FINISHED])
    job = watch.state.job
    assert job is not None
    assert (job.taskid, job.filename, job.progress) == (TASKID, "short.gcode", 100)


async def test_usb_print_pause_resume_stop(mosquitto_broker: MosquittoBroker) -> None:
    """USB file: printing → pausing → paused → resuming → printing → stopping → stopped."""
    async with (
        simulating(mosquitto_broker.port) as sim,
        linked(plain(mosquitto_broker), sim) as (client, watch),
    ):
        start = commands.start_usb_print("usb_long.gcode", "/prints", taskid=TASKID)
        await client.request(start)
        await watch.wait_phases(PrintPhase.PRINTING)
        await client.request(commands.pause_print(TASKID))
        await watch.wait_phases(PrintPhase.PRINTING, PrintPhase.PAUSED)
        await client.request(commands.resume_print(TASKID))
        await watch.wait_phases(PrintPhase.PAUSED, PrintPhase.RESUMING, PrintPhase.PRINTING)
        await client.request(commands.stop_print(TASKID))
        await watch.wait_phases(PrintPhase.STOPPED)
        await watch.wait_for(lambda: watch.state.status is MachineStatus.FREE)
        assert sim.state.storage == "usb"
    assert_phases(
        watch.phases,
        [
            PrintPhase.PREHEATING,
            PrintPhase.PRINTING,
            PrintPhase.PAUSING,
            PrintPhase.PAUSED,
            PrintPhase.RESUMING,
            PrintPhase.PRINTING,
            PrintPhase.STOPPING,
            PrintPhase.STOPPED,
        ],
    )
    assert watch.state.job is not None
    assert (watch.state.job.taskid, watch.state.job.filename) == (TASKID, "usb_long.gcode")


async def test_url_print_downloads_and_finishes(mosquitto_broker: MosquittoBroker) -> None:
    """URL: downloading (0 … 100 %) → checking → preheating → printing → finished."""
    async with (
        serve_files({"cube.gcode": GCODE}) as url,
        simulating(mosquitto_broker.port) as sim,
        linked(plain(mosquitto_broker), sim) as (client, watch),
    ):
        start = commands.start_url_print(
            f"{url}/cube.gcode", GCODE_MD5, len(GCODE), "cube.gcode", taskid=TASKID
        )
        await client.request(start)
        await watch.wait_phases(PrintPhase.FINISHED)
        assert sim.local_files["/cube.gcode"].md5 == GCODE_MD5
    assert_phases(
        watch.phases,
        [
            PrintPhase.DOWNLOADING,
            PrintPhase.CHECKING,
            PrintPhase.PREHEATING,
            PrintPhase.PRINTING,
            PrintPhase.FINISHED,
        ],
    )
    assert watch.downloads[0] == 0
    assert watch.downloads[-1] == 100
    assert watch.downloads == sorted(watch.downloads)
    assert watch.state.job is not None
    assert watch.state.job.download_progress is None  # only meaningful while downloading


async def test_url_print_md5_mismatch_fails(mosquitto_broker: MosquittoBroker) -> None:
    """URL with a wrong md5: downloading → checking → failed with the reason; nothing is kept."""
    async with (
        serve_files({"cube.gcode": GCODE}) as url,
        simulating(mosquitto_broker.port) as sim,
        linked(plain(mosquitto_broker), sim) as (client, watch),
    ):
        start = commands.start_url_print(
            f"{url}/cube.gcode", "0" * 32, len(GCODE), "cube.gcode", taskid=TASKID
        )
        await client.request(start)
        await watch.wait_phases(PrintPhase.FAILED)
        await watch.wait_for(
            lambda: in_order([MachineStatus.BUSY, MachineStatus.FREE], watch.statuses)
        )
        assert "/cube.gcode" not in sim.local_files
    assert_phases(watch.phases, [PrintPhase.DOWNLOADING, PrintPhase.CHECKING, PrintPhase.FAILED])
    assert watch.state.job is not None
    assert (watch.state.job.taskid, watch.state.job.message) == (TASKID, "md5 mismatch")


# --- discovery ------------------------------------------------------------------------------


async def test_discover_two_simulated_models(broker: AnyBroker) -> None:
    """discover() lists a Kobra 2 Pro and a Kobra 2 Max publishing on one broker."""
    async with (
        simulating(broker.port, model_id="20021", temp_interval=0.1) as pro,
        simulating(broker.port, model_id="20023", temp_interval=0.1) as big,
    ):
        found = await discover(plain(broker), timeout=2.0)
    assert found == [
        DiscoveredPrinter("20021", pro.printer_id),
        DiscoveredPrinter("20023", big.printer_id),
    ]


# --- amqtt with a password and with TLS -----------------------------------------------------


@pytest.mark.parametrize(
    ("tls", "username", "password"),
    [(False, "maker", "s3cret"), (True, None, None), (True, "maker", "s3cret")],
    ids=["password", "tls", "tls-password"],
)
async def test_amqtt_password_and_tls(
    make_amqtt, tls: bool, username: str | None, password: str | None
) -> None:
    """Client and simulator both work through amqtt with a password, with TLS and with both."""
    broker = await make_amqtt(tls=tls, username=username, password=password)
    port = broker.tls_port if tls else broker.port
    secure: dict[str, Any] = {"tls": True, "ca_data": broker.pki.ca_pem} if tls else {}
    cfg = BrokerConfig(LOOPBACK, port, username=username, password=password, **secure)
    assert cfg.verify
    async with (
        simulating(port, username=username, password=password, **secure) as sim,
        linked(cfg, sim) as (client, watch),
    ):
        status = await client.request(commands.query_status(), timeout=WAIT)
        settings = await client.request(commands.update_settings(target_bed=50), timeout=WAIT)
        await watch.wait_for(lambda: any(isinstance(r, TemperatureReport) for r in watch.reports))
        assert [(c.type, c.action) for c in sim.received] == [
            ("status", "query"),
            ("print", "update"),
        ]
    assert isinstance(status, StatusReport)
    assert status.status is MachineStatus.FREE
    assert isinstance(settings, SettingsReport)
    assert settings.target_bed == 50
    if tls:
        # Verification is on: a certificate from another CA is refused, by both sides.
        other = generate_pki("another CA").ca_pem
        wrong = BrokerConfig(
            LOOPBACK, port, username=username, password=password, tls=True, ca_data=other
        )
        with pytest.raises(KobraConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            await KobraClient(wrong, "20021", sim.printer_id, on_report=lambda _: None).connect()
        with pytest.raises(ConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            async with simulating(
                port, username=username, password=password, tls=True, ca_data=other
            ):
                pass


# --- failures are typed and quick -------------------------------------------------------------


async def assert_refused_quickly(cfg: BrokerConfig, error: type[Exception]) -> None:
    """Assert connect() and discover() both raise error in under 5 s (a generous bound)."""
    # The default connect timeout (10 s): the bound must come from the refusal, not a timer.
    client = KobraClient(cfg, "20021", "0" * 32, on_report=lambda _: None)
    for attempt in (client.connect, lambda: discover(cfg, timeout=1.0)):
        started = time.monotonic()
        with pytest.raises(error):
            await attempt()
        assert time.monotonic() - started < 5
    assert not client.connected


@pytest.mark.parametrize("kind", ["amqtt", "mosquitto"])
async def test_bad_password_is_an_auth_error_within_5s(
    kind: str, make_amqtt, make_mosquitto
) -> None:
    """A wrong password gives KobraAuthError at once."""
    if kind == "amqtt":
        broker = await make_amqtt(username="maker", password="right")
    else:
        broker = await make_mosquitto(users={"maker": "right"})
    await assert_refused_quickly(plain(broker, username="maker", password="wrong"), KobraAuthError)


async def test_dead_port_is_a_connection_error_within_5s(broker: AnyBroker) -> None:
    """Once the broker is gone its port refuses: KobraConnectionError at once."""
    cfg = plain(broker)
    await broker.stop()
    await assert_refused_quickly(cfg, KobraConnectionError)
