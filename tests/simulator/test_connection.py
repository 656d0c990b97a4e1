"""Connection behaviour: announcement at start, idle temperatures, the will, reconnects, TLS, auth."""

from __future__ import annotations

import json
import time

import pytest

from kobra2_sim import KobraSimulator
from tests.helpers.brokers import AnyBroker, MosquittoBroker, free_port

from .conftest import Observer, observing

ENVELOPE_KEYS = ["type", "action", "msgid", "state", "timestamp", "code", "msg", "data"]


async def test_start_announces_then_reports_temperature(
    broker: AnyBroker, observer: Observer, make_sim
) -> None:
    """Online, firmware version and free, in that order; then tempature/auto even when idle."""
    sim: KobraSimulator = await make_sim(broker.port, firmware="3.0.9")
    online = await observer.expect("lastWill")
    version = await observer.expect("ota")
    status = await observer.expect("status")
    assert observer.seen.index(online) < observer.seen.index(version) < observer.seen.index(status)
    base = f"anycubic/anycubicCloud/v1/printer/public/20021/{sim.printer_id}"
    assert online.topic == f"{base}/lastWill/report"
    assert (online.action, online.state) == ("onlineReport", "online")
    assert version.topic == f"{base}/ota/report"
    assert (version.action, version.state, version.data) == (
        "reportVersion",
        "done",
        {"firmware_version": "3.0.9"},
    )
    assert (status.action, status.state) == ("workReport", "free")
    temps = [await observer.expect("tempature", "auto") for _ in range(2)]
    for temp in temps:
        assert temp.topic == f"{base}/tempature/report"
        assert list(temp.body) == ENVELOPE_KEYS
        assert temp.body["code"] == 200
        assert temp.body["msg"] == ""
        assert abs(temp.body["timestamp"] - time.time() * 1000) < 60_000
        assert set(temp.data) == {
            "curr_hotbed_temp",
            "curr_nozzle_temp",
            "target_hotbed_temp",
            "target_nozzle_temp",
        }
        assert all(isinstance(v, int) for v in temp.data.values())
        assert temp.data["target_nozzle_temp"] == 0
    assert temps[0].body["msgid"] != temps[1].body["msgid"]
    assert sim.state.connected
    assert sim.state.status == "free"


async def test_crash_fires_the_will_and_restart_comes_back(
    broker: AnyBroker, observer: Observer, make_sim
) -> None:
    """crash() drops the link without DISCONNECT: the broker publishes lastWill offline."""
    sim: KobraSimulator = await make_sim(broker.port)
    await observer.expect("lastWill", state="online")
    sim.crash()
    offline = await observer.expect("lastWill", timeout=10)
    assert (offline.action, offline.state) == ("onlineReport", "offline")
    assert offline.topic.endswith(f"/{sim.printer_id}/lastWill/report")
    assert not sim.connected
    await sim.start()
    await observer.expect("lastWill", state="online")


async def test_clean_stop_sends_no_will(mosquitto_broker: MosquittoBroker, make_sim) -> None:
    """stop() disconnects cleanly, so no offline message is published."""
    async with observing(mosquitto_broker.port) as observer:
        sim: KobraSimulator = await make_sim(mosquitto_broker.port)
        await observer.expect("status")
        await sim.stop()
        sentinel = "anycubic/anycubicCloud/v1/printer/public/1/sentinel/x/report"
        await observer.publish(sentinel, b'{"type": "x", "action": "sentinel"}')
        await observer.expect("x", "sentinel")
        assert not [s for s in observer.seen if s.type == "lastWill" and s.state == "offline"]


async def test_reconnects_after_broker_restart(mosquitto_broker: MosquittoBroker, make_sim) -> None:
    """The simulator keeps its job through a broker restart and announces itself again."""
    sim: KobraSimulator = await make_sim(mosquitto_broker.port)
    localtask = await sim.start_print("/long.gcode", "local")
    await mosquitto_broker.restart()
    async with observing(mosquitto_broker.port) as observer:
        # Progress reports come from the same job once the simulator is back.
        report = await observer.expect("print", "start", timeout=10)
        assert report.data["localtask"] == localtask
    assert sim.connected
    assert sim.state.localtask == localtask
    onlines = [json.loads(p) for t, p in sim.published if t.endswith("/lastWill/report")]
    assert [o["state"] for o in onlines] == ["online", "online"]


async def test_first_connect_failure_raises(socket_enabled: None, make_sim) -> None:
    """Nothing listening: start() raises ConnectionError and leaves nothing running."""
    sim = await make_sim(free_port(), start=False)
    with pytest.raises(ConnectionError):
        await sim.start()
    assert not sim.connected


async def test_tls_client_certificate_and_password(make_mosquitto, make_sim) -> None:
    """TLS with a private CA, a client certificate and a password, as the patched firmware uses."""
    broker: MosquittoBroker = await make_mosquitto(
        tls=True, require_certificate=True, users={"kobra": "pa55"}
    )
    pki = broker.pki
    sim: KobraSimulator = await make_sim(
        broker.tls_port,
        tls=True,
        ca_data=pki.ca_pem,
        client_cert=pki.client_cert_pem,
        client_key=pki.client_key_pem,
        username="kobra",
        password="pa55",
    )
    async with observing(broker.port, username="kobra", password="pa55") as observer:
        msgid = await observer.send(sim, "status", "query")
        reply = await observer.expect("status", "workReport")
        assert reply.state == "free"
    assert (await sim.wait_for_command("status", "query")).msgid == msgid
    wrong = await make_sim(broker.port, start=False, username="kobra", password="nope")
    with pytest.raises(ConnectionError):
        await wrong.start()
