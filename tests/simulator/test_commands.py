"""Command routing and the non-print commands: topics, tolerance, files, firmware, odds and ends."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kobra2_sim import KobraSimulator, ReceivedCommand, SimulatorConfig, firmware_is_strict
from tests.helpers.brokers import AmqttBroker, AnyBroker, MosquittoBroker

from .conftest import Observer, observing


@pytest.mark.parametrize("suffix", ["/status", "/status/query", "/query", "/response", ""])
async def test_every_topic_suffix_style_is_routed_before_3_1(
    mosquitto_broker: MosquittoBroker, make_sim, suffix: str
) -> None:
    """Firmware before 3.1.0 obeys every suffix clients have used (§2.2), routing on the payload."""
    async with observing(mosquitto_broker.port) as observer:
        sim: KobraSimulator = await make_sim(mosquitto_broker.port, firmware="3.0.9")
        assert not sim.strict_topics
        await observer.expect("status", state="free")
        await observer.send(sim, "status", "query", suffix=suffix)
        assert (await observer.expect("status", "workReport")).state == "free"
        command = await sim.wait_for_command("status", "query")
        assert command.topic == sim.command_base + suffix
        assert command.handled


async def test_bare_topic_on_amqtt(amqtt_broker: AmqttBroker, make_sim) -> None:
    """The `#` subscription also catches the bare printer topic on amqtt (old firmware)."""
    async with observing(amqtt_broker.port) as observer:
        sim: KobraSimulator = await make_sim(amqtt_broker.port, firmware="3.0.9")
        await observer.send(sim, "status", "query", suffix="")
        assert (await observer.expect("status", "workReport", "free")).data is None


async def test_tolerant_payloads(broker: AnyBroker, observer: Observer, make_sim) -> None:
    """Escaped slashes, missing or null data, extra keys, a top-level path and numeric taskids."""
    sim: KobraSimulator = await make_sim(broker.port, local_files=None)
    await observer.send(sim, "status", "query", omit_data=True)
    await observer.expect("status", "workReport")
    await observer.send(sim, "file", "listLocal", {"path": "/parts", "task_mode": 2, "x": [1]})
    listing = await observer.expect("file", "listLocal")
    assert {r["filename"] for r in listing.data["records"]} == {
        "phone_stand_PETG.gcode",
        "cable_clip_x4.gcode",
    }
    assert b"\\/parts" in (await sim.wait_for_command("file", "listLocal")).payload
    # AGG puts "path" at the top level; KU sends {"task_mode": 2} only (→ the root).
    body = {"type": "file", "action": "listLocal", "msgid": "m", "timestamp": 1, "path": "/parts"}
    await observer.publish(sim.command_base + "/file", json.dumps(body).encode())
    top = await observer.expect("file", "listLocal")
    assert len(top.data["records"]) == 2
    await observer.send(sim, "file", "listLocal", {"task_mode": 2})
    root = await observer.expect("file", "listLocal")
    assert "parts" in {r["filename"] for r in root.data["records"]}
    await observer.send(
        sim, "print", "start", {"filename": "calibration_cube_20mm.gcode", "taskid": 12}
    )
    started = await observer.expect("print", "start")
    assert started.data["taskid"] == "12"


async def test_malformed_and_unknown_commands_are_recorded_not_handled(
    amqtt_broker: AmqttBroker, make_sim
) -> None:
    """Garbage, arrays, missing action, unknown commands and KU's set/update are ignored."""
    async with observing(amqtt_broker.port) as observer:
        sim: KobraSimulator = await make_sim(amqtt_broker.port)
        await observer.expect("status", state="free")
        base = sim.command_base
        for payload in (
            b"\xff\xfe",
            b"not json",
            b"[1, 2]",
            b'{"type": "print"}',
            b'{"action": 1}',
        ):
            await observer.publish(base + "/print", payload)
        await observer.send(sim, "print", "explode", {"taskid": "1"})
        await observer.send(
            sim, "set", "update", {"fan_speed_pct": 50, "settings": {"fan_speed_pct": 50}}
        )
        await observer.send(sim, "status", "query")
        await observer.expect("status", "workReport")
        received = list(sim.received)
        assert len(received) == 8
        assert [c.handled for c in received] == [False] * 7 + [True]
        assert received[0].payload == b"\xff\xfe"
        assert (received[5].type, received[5].action) == ("print", "explode")
        assert (received[6].type, received[6].action) == ("set", "update")
        assert sim.state.fan_speed_pct == 0
        assert not [s for s in observer.seen if s.type in ("print", "set")]


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"firmware": "3.1.0"},
        {"firmware": "3.1.4"},
        {"firmware": "3.0.9", "strict_topics": True},
    ],
    ids=["default-3.1.2", "3.1.0", "3.1.4", "3.0.9-strict"],
)
async def test_strict_topics_only_accepts_type_suffix(
    amqtt_broker: AmqttBroker, make_sim, settings: dict[str, Any]
) -> None:
    """Firmware 3.1.0 and later (or --strict-topics) act only on `.../<id>/<type>`."""
    async with observing(amqtt_broker.port) as observer:
        sim: KobraSimulator = await make_sim(amqtt_broker.port, **settings)
        assert sim.strict_topics
        await observer.expect("status", state="free")
        for suffix in ("/status/query", "", "/response", "/print"):
            await observer.send(sim, "status", "query", suffix=suffix)
        await observer.send(sim, "status", "query")
        await observer.expect("status", "workReport")
        handled = [(c.topic.removeprefix(sim.command_base), c.handled) for c in sim.received]
        assert handled == [
            ("/status/query", False),
            ("", False),
            ("/response", False),
            ("/print", False),
            ("/status", True),
        ]
        # One announcement plus exactly one reply.
        assert len([s for s in observer.seen if s.type == "status"]) == 2


async def test_permissive_topics_on_3_1(amqtt_broker: AmqttBroker, make_sim) -> None:
    """--permissive-topics makes a 3.1.x printer obey every suffix again."""
    async with observing(amqtt_broker.port) as observer:
        sim: KobraSimulator = await make_sim(amqtt_broker.port, permissive_topics=True)
        assert sim.state.firmware == "3.1.2"
        assert not sim.strict_topics
        await observer.expect("status", state="free")
        for suffix in ("/status/query", "/query", ""):
            await observer.send(sim, "status", "query", suffix=suffix)
            assert (await observer.expect("status", "workReport")).state == "free"
        assert [c.handled for c in sim.received] == [True, True, True]


async def test_ota_update_to_3_1_makes_the_topics_strict(
    amqtt_broker: AmqttBroker, make_sim
) -> None:
    """The rule follows the version the printer reports now, so it changes with an update."""
    async with observing(amqtt_broker.port) as observer:
        sim: KobraSimulator = await make_sim(amqtt_broker.port, firmware="3.0.9")
        await observer.expect("ota", "reportVersion")  # the announcement
        await observer.send(sim, "status", "query", suffix="/status/query")
        assert (await sim.wait_for_command("status", "query")).handled
        await observer.send(
            sim, "ota", "update", {"firmware_version": "3.1.2"}, suffix="/ota/update"
        )
        version = await observer.expect("ota", "reportVersion", timeout=10)
        assert version.data == {"firmware_version": "3.1.2"}
        assert sim.strict_topics
        await observer.send(sim, "status", "query", suffix="/status/query")
        assert not (await sim.wait_for_command("status", "query")).handled
        await observer.send(sim, "status", "query")
        assert (await sim.wait_for_command("status", "query")).handled


@pytest.mark.parametrize(
    ("version", "strict"),
    [
        ("2.3.9", False),
        ("3.0.9", False),
        ("3.0.10", False),
        ("3.1.0", True),
        ("3.1.2", True),
        ("3.1.2.3", True),
        ("3.2", True),
        ("4", True),
        (" 3.0.5 ", False),
        ("3.1.4b", True),
        ("v3.0.9", True),
        ("", True),
    ],
)
def test_firmware_topic_rule(version: str, strict: bool) -> None:
    """3.1.0 and later are strict; numeric parts compare as numbers; no number counts as new."""
    assert firmware_is_strict(version) is strict


def test_topic_overrides_exclude_each_other() -> None:
    """A printer cannot be both strict and permissive."""
    with pytest.raises(ValueError, match="exclude"):
        SimulatorConfig(strict_topics=True, permissive_topics=True)


async def test_echo_msgid_and_cjson_layout(amqtt_broker: AmqttBroker, make_sim) -> None:
    """echo_msgid puts the command's msgid on replies; by default reports use cJSON's tab layout."""
    async with observing(amqtt_broker.port) as observer:
        sim: KobraSimulator = await make_sim(amqtt_broker.port, echo_msgid=True)
        temp = await observer.expect("tempature")
        assert temp.raw.startswith(
            b'{\n\t"type":\t"tempature",\n\t"action":\t"auto",\n\t"msgid":\t"'
        )
        assert b'\t"data":\t{\n\t\t"curr_hotbed_temp":\t' in temp.raw
        assert temp.raw.endswith(b"\n\t}\n}")
        msgid = await observer.send(sim, "ota", "reportVersion")
        reply = await observer.expect("ota", "reportVersion")
        assert reply.body["msgid"] == msgid
        assert (await observer.expect("tempature")).body["msgid"] != msgid
    compact = await make_sim(amqtt_broker.port, compact_json=True, escape_slashes=True)
    async with observing(amqtt_broker.port) as observer:
        msgid = await observer.send(compact, "ota", "reportVersion")
        reply = await observer.expect("ota", "reportVersion")
        assert reply.body["msgid"] != msgid
        assert reply.raw.startswith(b'{"type":"ota","action":"reportVersion","msgid":"')
        assert b"\n" not in reply.raw
        assert b"\t" not in reply.raw
        await observer.send(compact, "file", "listLocal", {"path": "/"})
        listing = await observer.expect("file", "listLocal")
        assert b'"filename":"short.gcode"' in listing.raw
        await observer.send(compact, "file", "deleteLocal", {"path": "/", "filename": "long.gcode"})
        deleted = await observer.expect("file", "deleteLocal", "success")
        assert b'"path":"\\/"' in deleted.raw
        assert deleted.data["path"] == "/"


async def test_file_listing_and_deletion(broker: AnyBroker, observer: Observer, make_sim) -> None:
    """listLocal/listUdisk records (ms timestamps, folders); delete → success, missing → failed."""
    sim: KobraSimulator = await make_sim(broker.port, local_files=None)
    await observer.send(sim, "file", "listLocal", {"path": "/"})
    local = await observer.expect("file", "listLocal")
    assert local.state == "done"
    assert local.data["list_mode"] == 1
    records = {r["filename"]: r for r in local.data["records"]}
    assert set(records) == {"Kobra2_Benchy_PLA_0.2mm.gcode", "calibration_cube_20mm.gcode", "parts"}
    assert records["parts"]["is_dir"] is True
    cube = records["calibration_cube_20mm.gcode"]
    assert cube["is_dir"] is False
    assert cube["size"] == sim.local_files["/calibration_cube_20mm.gcode"].size
    assert 1_600_000_000_000 < cube["timestamp"] < 2_000_000_000_000
    await observer.send(sim, "file", "listUdisk", {"path": "/"})
    usb = await observer.expect("file", "listUdisk")
    assert "models" in {r["filename"] for r in usb.data["records"]}
    await observer.send(sim, "file", "listLocal", {"path": "/nope"})
    assert (await observer.expect("file", "listLocal")).state == "failed"

    await observer.send(
        sim, "file", "deleteLocal", {"path": "/parts", "filename": "cable_clip_x4.gcode"}
    )
    deleted = await observer.expect("file", "deleteLocal")
    assert deleted.state == "success"
    assert deleted.data["filename"] == "cable_clip_x4.gcode"
    assert "/parts/cable_clip_x4.gcode" not in sim.local_files
    await observer.send(
        sim, "file", "deleteLocal", {"path": "/parts", "filename": "cable_clip_x4.gcode"}
    )
    assert (await observer.expect("file", "deleteLocal")).state == "failed"
    await observer.send(
        sim,
        "file",
        "deleteUdisk",
        {"filename": "spiral_vase_0.28mm.gcode", "filetype": -1, "path": "/"},
    )
    assert (await observer.expect("file", "deleteUdisk")).state == "success"
    await observer.send(sim, "file", "listUdisk", {"path": "/"})
    usb = await observer.expect("file", "listUdisk")
    assert "spiral_vase_0.28mm.gcode" not in {r["filename"] for r in usb.data["records"]}


async def test_cannot_delete_the_file_being_printed(amqtt_broker: AmqttBroker, make_sim) -> None:
    """Deleting the running job's file fails; a USB stick that is gone fails every USB request."""
    async with observing(amqtt_broker.port) as observer:
        sim: KobraSimulator = await make_sim(amqtt_broker.port)
        await sim.start_print("/long.gcode", "local")
        await observer.send(sim, "file", "deleteLocal", {"path": "/", "filename": "long.gcode"})
        refused = await observer.expect("file", "deleteLocal")
        assert (refused.state, refused.body["msg"]) == ("failed", "file is being printed")
        assert "/long.gcode" in sim.local_files
        sim.usb_present = False
        await observer.send(sim, "file", "listUdisk", {"path": "/"})
        assert (await observer.expect("file", "listUdisk")).state == "failed"


async def test_ota_update_reports_progress_then_new_version(
    broker: AnyBroker, observer: Observer, make_sim
) -> None:
    """ota/update: start → downloading (progress) → updating (current_progress) → new version."""
    sim: KobraSimulator = await make_sim(broker.port, firmware="3.1.0")
    await observer.expect("status", state="free")
    await observer.send(sim, "ota", "reportVersion")
    assert (await observer.expect("ota", "reportVersion")).data["firmware_version"] == "3.1.0"
    await observer.send(
        sim,
        "ota",
        "update",
        {
            "force_update": False,
            "firmware_md5": "0" * 32,
            "firmware_version": "3.1.2",
            "firmware_name": "K2Pro_3.1.2.bin",
            "firmware_url": "https://cdn.example.com/K2Pro_3.1.2.bin",
            "firmware_size": 123456,
        },
    )
    updates = []
    while True:
        report = await observer.expect("ota")
        if report.action == "reportVersion":
            break
        updates.append(report)
    assert report.data["firmware_version"] == "3.1.2"
    states = [u.state for u in updates]
    assert states[0] == "start"
    assert states.index("downloading") < states.index("updating")
    downloading = [u.data["progress"] for u in updates if u.state == "downloading"]
    updating = [u.data["current_progress"] for u in updates if u.state == "updating"]
    assert downloading == sorted(downloading)
    assert downloading[-1] == 100
    assert updating == sorted(updating)
    assert updating[-1] == 100
    await observer.expect("status", "workReport", "free")
    statuses = [s.state for s in observer.seen if s.type == "status"]
    assert statuses == ["free", "busy", "free"]
    assert sim.state.firmware == "3.1.2"
    await observer.send(sim, "ota", "update", {"firmware_url": "x"})
    assert (await observer.expect("ota", "update")).state == "failed"


async def test_other_commands(amqtt_broker: AmqttBroker, make_sim) -> None:
    """print/query idle, getSliceParam without a job, startCapture, cloudRecommendList."""
    async with observing(amqtt_broker.port) as observer:
        sim: KobraSimulator = await make_sim(amqtt_broker.port)
        await observer.send(sim, "print", "query", {"taskid": "0"})
        query = await observer.expect("print", "query")
        assert (query.state, query.data["taskid"]) == ("free", "0")
        await observer.send(sim, "print", "getSliceParam", {"taskid": "1"})
        assert (await observer.expect("print", "getSliceParam")).state == "failed"
        await observer.send(
            sim,
            "video",
            "startCapture",
            {"region": "r", "tmpSecretKey": "k", "tmpSecretId": "i", "sessionToken": "t"},
        )
        capture = await observer.expect("video", "startCapture")
        assert capture.state == "failed"
        await observer.send(sim, "file", "cloudRecommendList")
        assert (await observer.expect("file", "cloudRecommendList")).state == "done"
        # The TOOLS doc's form, with the type as topic suffix as 3.1.x wants.
        await observer.send(sim, "cloudRecommendList", "cloudRecommendList")
        assert (await observer.expect("file", "cloudRecommendList")).data == {"records": []}
        await sim.set_other_work(True)
        assert (await observer.expect("status", "workReport")).state == "busy"
        await observer.send(sim, "print", "start", {"filename": "short.gcode", "filetype": 1})
        assert (await observer.expect("print", "start")).state == "failed"
        # The refusal is followed by the state the printer stays in.
        assert (await observer.expect("status", "workReport")).state == "busy"
        await sim.set_other_work(False)
        assert (await observer.expect("status", "workReport")).state == "free"


async def test_wait_for_command_and_publish_raw(amqtt_broker: AmqttBroker, make_sim) -> None:
    """wait_for_command returns each command once, in order; publish_raw sends bytes as they are."""
    async with observing(amqtt_broker.port) as observer:
        sim: KobraSimulator = await make_sim(amqtt_broker.port)
        first = await observer.send(sim, "status", "query")
        second = await observer.send(sim, "status", "query")
        got: list[ReceivedCommand] = [
            await sim.wait_for_command("status", "query"),
            await sim.wait_for_command("status", "query"),
        ]
        assert [c.msgid for c in got] == [first, second]
        with pytest.raises(TimeoutError):
            await sim.wait_for_command("status", "query", timeout=0.05)
        await sim.publish_raw("print/report", b"\x00garbage")
        raw = await observer.expect("None", where=lambda s: s.raw == b"\x00garbage")
        assert raw.topic == f"{sim.report_base}/print/report"


async def test_a_failing_handler_does_not_kill_the_printer(
    amqtt_broker: AmqttBroker, make_sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in one handler (injected: brokers cannot cause it) is logged; later commands work."""
    async with observing(amqtt_broker.port) as observer:
        sim: KobraSimulator = await make_sim(amqtt_broker.port)
        await observer.expect("status", state="free")  # the announcement

        def broken(*_: object) -> None:
            raise RuntimeError("injected")

        monkeypatch.setattr(sim.machine, "pause", broken)
        await observer.send(sim, "print", "pause", {"taskid": "1"})
        await observer.send(sim, "status", "query")
        await sim.wait_for_command("status", "query")
        assert (await observer.expect("status", "workReport")).state == "free"
        assert sim.connected
        assert [c.action for c in sim.received] == ["pause", "query"]
