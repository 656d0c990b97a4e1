"""Print jobs over MQTT: local, USB and URL prints, pause/resume/stop, refusals and settings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import hashlib

from aiohttp import web
import pytest

from kobra2_sim import KobraSimulator, SimFile
from tests.helpers.brokers import AmqttBroker, AnyBroker, MosquittoBroker
from tests.helpers.http import serve_files

from .conftest import LONG_PRINT, Observer, observing

JOB_KEYS = {
    "taskid",
    "localtask",
    "filename",
    "progress",
    "print_time",
    "remain_time",
    "supplies_usage",
    "curr_layer",
    "total_layers",
}


def _start_local(taskid: str, filename: str, filetype: int = 1, filepath: str = "/") -> dict:
    return {
        "filename": filename,
        "filepath": filepath,
        "taskid": taskid,
        "task_mode": 1,
        "filetype": filetype,
    }


async def test_local_print_runs_to_finished(
    broker: AnyBroker, observer: Observer, make_sim
) -> None:
    """Busy → preheating → printing… → finished (100 %) → free, with the Kobra 2 quirks."""
    sim: KobraSimulator = await make_sim(broker.port)
    await observer.expect("status", state="free")
    await observer.send(sim, "print", "start", _start_local("482913", "short.gcode"))
    assert (await observer.expect("status", "workReport")).state == "busy"
    reports = await observer.collect("print", "start", "finished")
    states = [r.state for r in reports]
    assert states[0] == "preheating"
    assert "printing" in states
    assert states.index("printing") < states.index("finished")
    progress = [r.data["progress"] for r in reports if r.state == "printing"]
    assert progress == sorted(progress)
    for report in reports:
        assert report.action == "start"
        assert set(report.data) == JOB_KEYS
        assert report.data["taskid"] == "482913"
        assert report.data["filename"] == "short.gcode"
        assert (report.data["curr_layer"], report.data["total_layers"]) == (0, -1)
        assert report.data["remain_time"] == 0
    finished = reports[-1]
    assert finished.data["progress"] == 100
    assert finished.data["print_time"] == 1  # 60 sim seconds of printing
    assert finished.data["supplies_usage"] > 0
    assert (await observer.expect("status", "workReport")).state == "free"
    # The part fan came on for printing and went off afterwards; heaters are off again.
    fans = [s.data["fan_speed_pct"] for s in observer.seen if s.type == "fan"]
    assert fans == [100, 0]
    assert (sim.state.target_nozzle, sim.state.target_bed) == (0, 0)
    assert sim.state.print_state == "finished"


async def test_preheating_ramps_temperatures(amqtt_broker: AmqttBroker, make_sim) -> None:
    """While preheating, tempature reports climb toward the print targets."""
    async with observing(amqtt_broker.port) as observer:
        sim: KobraSimulator = await make_sim(amqtt_broker.port, time_scale=30.0)
        await observer.send(sim, "print", "start", _start_local("1", "long.gcode"))
        await observer.expect("print", "start", "preheating")
        temps = []
        while len(temps) < 4:
            temp = await observer.expect("tempature", "auto")
            temps.append(temp.data)
        assert all(t["target_nozzle_temp"] == 210 for t in temps)
        assert all(t["target_hotbed_temp"] == 60 for t in temps)
        nozzles = [t["curr_nozzle_temp"] for t in temps]
        assert nozzles == sorted(nozzles)
        assert nozzles[-1] > nozzles[0]
        assert nozzles[-1] <= 210


async def test_busy_printer_refuses_a_second_print(amqtt_broker: AmqttBroker, make_sim) -> None:
    """print/start while busy: failed with a message, then busy; the running job is untouched."""
    async with observing(amqtt_broker.port) as observer:
        sim: KobraSimulator = await make_sim(amqtt_broker.port)
        await observer.send(sim, "print", "start", _start_local("111", "long.gcode"))
        await observer.expect("print", "start", "printing")
        await observer.send(sim, "print", "start", _start_local("222", "short.gcode"))
        refused = await observer.expect("print", "start", "failed")
        assert refused.data["taskid"] == "222"
        assert "busy" in refused.body["msg"]
        # The next report of the printer's own state says it is still busy.
        status = await observer.expect("status", "workReport")
        assert status.state == "busy"
        between = observer.seen[observer.seen.index(refused) + 1 : observer.seen.index(status)]
        assert not [s for s in between if s.type == "status"]
        state = sim.state
        assert (state.taskid, state.filename, state.print_state) == (
            "111",
            "long.gcode",
            "printing",
        )
        assert (await sim.wait_for_command("print", "start")).data["taskid"] == "111"
        assert (await sim.wait_for_command("print", "start")).data["taskid"] == "222"


async def test_pause_resume_stop(broker: AnyBroker, observer: Observer, make_sim) -> None:
    """pausing→paused, resuming→resumed, stopping→stoped (sic), then free with heaters off."""
    sim: KobraSimulator = await make_sim(broker.port)
    await observer.send(sim, "print", "start", _start_local("77", "long.gcode"))
    await observer.expect("print", "start", "printing")
    await observer.send(sim, "print", "pause", {"taskid": "77"})
    assert (await observer.expect("print", "pause")).state == "pausing"
    paused = await observer.expect("print", "pause")
    assert paused.state == "paused"
    assert set(paused.data) == JOB_KEYS
    assert sim.state.print_state == "paused"
    await observer.send(sim, "print", "pause", {"taskid": "77"})
    assert (await observer.expect("print", "pause")).state == "failed"
    await observer.send(sim, "print", "resume", {"taskid": "77"})
    assert (await observer.expect("print", "resume")).state == "resuming"
    assert (await observer.expect("print", "resume")).state == "resumed"
    await observer.expect("print", "start", "printing")
    await observer.send(sim, "print", "stop", {"taskid": "77"})
    assert (await observer.expect("print", "stop")).state == "stopping"
    stopped = await observer.expect("print", "stop")
    assert stopped.state == "stoped"
    assert stopped.data["taskid"] == "77"
    assert 0 <= stopped.data["progress"] < 100
    assert (await observer.expect("status", "workReport")).state == "free"
    assert (sim.state.status, sim.state.target_nozzle) == ("free", 0)


async def test_job_commands_without_a_job_fail(amqtt_broker: AmqttBroker, make_sim) -> None:
    """Pause, resume, stop and cancel when idle (or for another task) reply failed."""
    async with observing(amqtt_broker.port) as observer:
        sim: KobraSimulator = await make_sim(amqtt_broker.port)
        for action in ("pause", "resume", "stop", "cancel"):
            await observer.send(sim, "print", action, {"taskid": "5"})
            reply = await observer.expect("print", action)
            assert reply.state == "failed"
            assert reply.body["msg"]
        await observer.send(sim, "print", "start", _start_local("5", "long.gcode"))
        await observer.expect("print", "start", "printing")
        await observer.send(sim, "print", "pause", {"taskid": "6"})
        assert (await observer.expect("print", "pause")).state == "failed"
        await observer.send(sim, "print", "cancel", {"taskid": "5"})
        assert (await observer.expect("print", "cancel")).state == "stopping"
        assert (await observer.expect("print", "cancel")).state == "stoped"


async def test_usb_print_from_folder_with_checking(amqtt_broker: AmqttBroker, make_sim) -> None:
    """Filetype 2 prints from the USB stick; checking_for_local adds a checking phase."""
    async with observing(amqtt_broker.port) as observer:
        sim: KobraSimulator = await make_sim(
            amqtt_broker.port,
            checking_for_local=True,
            usb_files=(SimFile("/models/tiny.gcode", 50_000, print_seconds=30),),
        )
        await observer.send(sim, "print", "start", _start_local("9", "tiny.gcode", 2, "/models"))
        reports = await observer.collect("print", "start", "finished")
        states = [r.state for r in reports]
        assert states[:2] == ["checking", "preheating"]
        assert states[-1] == "finished"
        assert sim.state.storage == "usb"
        await observer.send(sim, "print", "start", _start_local("10", "tiny.gcode", 1, "/models"))
        missing = await observer.expect("print", "start", "failed")
        assert missing.body["msg"] == "file not found"
        sim.usb_present = False
        await observer.send(sim, "print", "start", _start_local("11", "tiny.gcode", 2, "/models"))
        assert (await observer.expect("print", "start", "failed")).body["msg"] == "no udisk"


async def test_touchscreen_print_and_localtasktrans(
    mosquitto_broker: MosquittoBroker, make_sim
) -> None:
    """start_print() acts like the touchscreen; localtasktrans gives the job a task id."""
    async with observing(mosquitto_broker.port) as observer:
        sim: KobraSimulator = await make_sim(mosquitto_broker.port)
        localtask = await sim.start_print("long.gcode", "local")
        first = await observer.expect("print", "start", "preheating")
        assert first.data["localtask"] == localtask
        assert first.data["taskid"] == "0"
        with pytest.raises(RuntimeError, match="busy"):
            await sim.start_print("short.gcode", "local")
        await observer.send(sim, "print", "localtasktrans", {"taskid": "4242", "localtask": "nope"})
        assert (await observer.expect("print", "localtasktrans")).state == "failed"
        await observer.send(
            sim, "print", "localtasktrans", {"taskid": "4242", "localtask": localtask}
        )
        done = await observer.expect("print", "localtasktrans")
        assert (done.state, done.data["taskid"]) == ("done", "4242")
        report = await observer.expect("print", "start", where=lambda s: s.state != "failed")
        assert report.data["taskid"] == "4242"
        await observer.send(sim, "print", "query", {"taskid": "0"})
        query = await observer.expect("print", "query")
        assert query.state in ("preheating", "printing")
        assert query.data["taskid"] == "4242"
        await observer.send(sim, "print", "getSliceParam", {"taskid": "4242"})
        params = await observer.expect("print", "getSliceParam")
        assert params.state == "done"
        assert params.data["slice_param"]["estimate"] == int(LONG_PRINT.print_seconds)


async def test_settings_update_and_snapshot(
    broker: AnyBroker, observer: Observer, make_sim
) -> None:
    """print/update sets targets, fan (fan/auto follows), speed mode and z_comp; bad values fail."""
    sim: KobraSimulator = await make_sim(broker.port)
    await observer.send(sim, "print", "update", {"taskid": "0"})
    snapshot = await observer.expect("print", "update")
    assert snapshot.state == "updated"
    assert snapshot.data["taskid"] == "0"
    assert snapshot.data["settings"] == {
        "target_nozzle_temp": 0,
        "target_hotbed_temp": 0,
        "fan_speed_pct": 0,
        "print_speed_mode": 2,
        "z_comp": 0,
    }
    for settings in (
        {"target_nozzle_temp": 200},
        {"target_hotbed_temp": 55},
        {"fan_speed_pct": 40},
        {"print_speed_mode": 3},
        {"z_comp": -0.15},
    ):
        await observer.send(sim, "print", "update", {"taskid": "0", "settings": settings})
        reply = await observer.expect("print", "update")
        assert reply.state == "updated"
        key, value = next(iter(settings.items()))
        assert reply.data["settings"][key] == value
    # fan/auto follows the change (and only the change: the fan was off before).
    assert [s.data for s in observer.seen if s.type == "fan"] == [{"fan_speed_pct": 40}]
    # Idle heating toward the new targets shows up in the temperature reports.
    await observer.expect(
        "tempature",
        "auto",
        where=lambda s: s.data["target_nozzle_temp"] == 200 and s.data["curr_nozzle_temp"] > 30,
    )
    for bad in (
        {"target_nozzle_temp": 300},
        {"target_hotbed_temp": -1},
        {"fan_speed_pct": True},
        {"print_speed_mode": 4},
        {"z_comp": "abc"},
        "not-an-object",
    ):
        await observer.send(sim, "print", "update", {"taskid": "0", "settings": bad})
        assert (await observer.expect("print", "update")).state == "failed"
    state = sim.state
    assert (state.target_nozzle, state.target_bed, state.fan_speed_pct) == (200, 55, 40)
    assert (state.print_speed_mode, state.z_comp) == (3, -0.15)


async def test_z_comp_as_string_and_print_speed_pct(amqtt_broker: AmqttBroker, make_sim) -> None:
    """Both z_comp encodings the sources disagree on, and the optional print_speed_pct."""
    async with observing(amqtt_broker.port) as observer:
        sim: KobraSimulator = await make_sim(
            amqtt_broker.port, z_comp_as_string=True, send_print_speed_pct=True
        )
        await observer.send(sim, "print", "update", {"taskid": "0", "settings": {"z_comp": "0.1"}})
        reply = await observer.expect("print", "update")
        assert reply.data["settings"]["z_comp"] == "0.10"
        assert reply.data["settings"]["print_speed_pct"] == 100


# ---- URL prints ---------------------------------------------------------------------------

GCODE = b";FLAVOR:Marlin\nG28\n" + b"G1 X10 Y10 E0.5\n" * 4000


@pytest.fixture
async def http_server(socket_enabled: None) -> AsyncIterator[str]:
    """Serve GCODE at /files/cube.gcode over plain HTTP (404 elsewhere); yields the base URL."""
    async with serve_files({"files/cube.gcode": GCODE}) as url:
        yield url


def _url_start(url: str, md5: str, size: int, taskid: str = "31") -> dict:
    return {
        "url": url,
        "md5": md5,
        "filesize": size,
        "filename": "cube.gcode",
        "filetype": 0,
        "taskid": taskid,
        "task_mode": 1,
    }


async def test_url_print_downloads_checks_and_prints(
    http_server: str, amqtt_broker: AmqttBroker, make_sim
) -> None:
    """Downloading (progress) → checking → preheating → printing; the file lands in listLocal."""
    md5 = hashlib.md5(GCODE).hexdigest()
    async with observing(amqtt_broker.port) as observer:
        sim: KobraSimulator = await make_sim(amqtt_broker.port)
        await observer.send(
            sim, "print", "start", _url_start(f"{http_server}/files/cube.gcode", md5, len(GCODE))
        )
        reports = await observer.collect("print", "start", "printing")
        states = [r.state for r in reports]
        # Progress reports repeat a state; compare the sequence of distinct phases.
        phases = [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]
        assert phases == ["downloading", "checking", "preheating", "printing"]
        downloads = [r.data["progress"] for r in reports if r.state == "downloading"]
        assert downloads[0] == 0
        assert downloads[-1] == 100
        assert downloads == sorted(downloads)
        assert all(r.data["taskid"] == "31" for r in reports)
        assert sim.local_files["/cube.gcode"].size == len(GCODE)
        assert sim.local_files["/cube.gcode"].md5 == md5


@pytest.mark.parametrize(
    ("path", "md5", "size", "reason"),
    [
        ("/files/cube.gcode", "0" * 32, None, "md5 mismatch"),
        ("/files/cube.gcode", None, len(GCODE) + 1, "file size mismatch"),
        ("/missing.gcode", None, None, "HTTP 404"),
    ],
)
async def test_url_print_failures(
    http_server: str,
    amqtt_broker: AmqttBroker,
    make_sim,
    path: str,
    md5: str | None,
    size: int | None,
    reason: str,
) -> None:
    """A wrong md5, a wrong size or an HTTP error end in start/failed with a reason; nothing prints."""
    async with observing(amqtt_broker.port) as observer:
        sim: KobraSimulator = await make_sim(amqtt_broker.port)
        await observer.send(
            sim,
            "print",
            "start",
            _url_start(
                http_server + path, md5 or hashlib.md5(GCODE).hexdigest(), size or len(GCODE)
            ),
        )
        reports = await observer.collect("print", "start", "failed")
        assert reason in reports[-1].body["msg"]
        assert "preheating" not in [r.state for r in reports]
        assert (await observer.expect("status", "workReport", "free")).state == "free"
        assert "/cube.gcode" not in sim.local_files
        assert sim.state.print_state == "failed"


async def test_stop_during_download(amqtt_broker: AmqttBroker, make_sim, socket_enabled) -> None:
    """Stop while downloading abandons the download: stopping → stoped, machine free."""
    release = asyncio.Event()

    async def slow(_: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = 1000
        await response.prepare(_)
        await response.write(b"x" * 10)
        await release.wait()
        return response

    app = web.Application()
    app.router.add_get("/slow.gcode", slow)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/slow.gcode"
    try:
        async with observing(amqtt_broker.port) as observer:
            sim: KobraSimulator = await make_sim(amqtt_broker.port)
            await observer.send(sim, "print", "start", _url_start(url, "0" * 32, 1000, "8"))
            await observer.expect("print", "start", "downloading")
            await observer.send(sim, "print", "stop", {"taskid": "8"})
            assert (await observer.expect("print", "stop")).state == "stopping"
            assert (await observer.expect("print", "stop")).state == "stoped"
            assert sim.state.status == "free"
    finally:
        release.set()
        await runner.cleanup()
