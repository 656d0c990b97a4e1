"""KobraClient and discover() against real brokers (amqtt in-process and mosquitto)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import dataclass, field
import json
import logging
import re
import ssl
import tempfile
import threading
from typing import Any

import aiomqtt
import pytest

from custom_components.anycubic_kobra2.kobra2 import client as client_mod, commands
from custom_components.anycubic_kobra2.kobra2.client import (
    BrokerConfig,
    DiscoveredPrinter,
    KobraClient,
    discover,
)
from custom_components.anycubic_kobra2.kobra2.exceptions import (
    KobraAuthError,
    KobraCommandError,
    KobraConnectionError,
    KobraNotConnectedError,
    KobraTimeoutError,
)
from custom_components.anycubic_kobra2.kobra2.models import (
    FileListReport,
    Report,
    StatusReport,
    TemperatureReport,
    TopicStyle,
)
from custom_components.anycubic_kobra2.kobra2.tls import build_ssl_context
from tests.helpers.brokers import AnyBroker, MosquittoBroker
from tests.helpers.certs import generate_pki

MODEL = "20021"
PRINTER = "9347a110c5423fe412ce45533bfc10e6"
OTHER_PRINTER = "0123456789abcdef0123456789abcdef"
REPORT_BASE = "anycubic/anycubicCloud/v1/printer/public"
COMMAND_BASE = "anycubic/anycubicCloud/v1/server/printer"
FAST = {"connect_timeout": 2.0, "min_backoff": 0.05, "max_backoff": 0.2}


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll predicate until it holds (fail after timeout)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


def report(
    msg_type: str,
    action: str,
    data: Any = None,
    *,
    state: str = "done",
    msgid: str = "00000000-0000-4000-8000-000000000000",
) -> bytes:
    """Build a report payload the way the firmware does."""
    return json.dumps(
        {
            "type": msg_type,
            "action": action,
            "msgid": msgid,
            "state": state,
            "timestamp": 1709681948443,
            "code": 200,
            "msg": "",
            "data": data,
        }
    ).encode()


def temperature(nozzle: float) -> bytes:
    """Return a tempature/auto report."""
    return report(
        "tempature",
        "auto",
        {
            "curr_hotbed_temp": 25,
            "curr_nozzle_temp": nozzle,
            "target_hotbed_temp": 0,
            "target_nozzle_temp": 0,
        },
    )


@dataclass
class Printer:
    """The printer's side of the broker: publishes reports, records commands."""

    mqtt: aiomqtt.Client
    commands: asyncio.Queue[aiomqtt.Message] = field(default_factory=asyncio.Queue)

    async def publish(
        self, msg_type: str, payload: bytes, printer_id: str = PRINTER, model_id: str = MODEL
    ) -> None:
        """Publish payload on the report topic of msg_type."""
        topic = f"{REPORT_BASE}/{model_id}/{printer_id}/{msg_type}/report"
        await self.mqtt.publish(topic, payload)

    async def next_command(self, timeout: float = 5.0) -> aiomqtt.Message:
        """Return the next command message."""
        async with asyncio.timeout(timeout):
            return await self.commands.get()


@contextlib.asynccontextmanager
async def printer_on(port: int) -> AsyncIterator[Printer]:
    """Connect a stand-in printer to 127.0.0.1:port that collects every command."""
    async with aiomqtt.Client("127.0.0.1", port, identifier="printer-standin", timeout=5) as mqtt:
        printer = Printer(mqtt)
        # QoS 1 subscription: a message then arrives with the QoS it was published with.
        await mqtt.subscribe(f"{COMMAND_BASE}/#", qos=1)

        async def collect() -> None:
            async for message in mqtt.messages:
                printer.commands.put_nowait(message)

        task = asyncio.create_task(collect())
        try:
            yield printer
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@dataclass
class Events:
    """What the client reported through its callbacks."""

    reports: list[Report] = field(default_factory=list)
    connection: list[bool] = field(default_factory=list)
    auth_failed: list[KobraAuthError] = field(default_factory=list)


def make_client(cfg: BrokerConfig, events: Events, **kwargs: Any) -> KobraClient:
    """Create a client for PRINTER whose callbacks record into events."""
    options = {**FAST, **kwargs}
    return KobraClient(
        cfg,
        MODEL,
        PRINTER,
        on_report=events.reports.append,
        on_connection=events.connection.append,
        on_auth_failed=events.auth_failed.append,
        **options,
    )


@contextlib.asynccontextmanager
async def running(cfg: BrokerConfig, events: Events, **kwargs: Any) -> AsyncIterator[KobraClient]:
    """Run a client in the background until the block ends; wait for the first connection."""
    client = make_client(cfg, events, **kwargs)
    client.start()
    try:
        await wait_until(lambda: client.connected)
        yield client
    finally:
        await client.stop()


def plain(broker: AnyBroker, **kwargs: Any) -> BrokerConfig:
    """Return a plain-MQTT BrokerConfig for broker."""
    return BrokerConfig(broker.host, broker.port, **kwargs)


# --- basics -----------------------------------------------------------------------------------


async def test_report_reaches_callback(broker: AnyBroker) -> None:
    events = Events()
    async with running(plain(broker), events) as client, printer_on(broker.port) as printer:
        assert events.connection == [True]
        await printer.publish("tempature", temperature(201.5))
        # Another printer on the same broker must not leak into this client.
        await printer.publish("tempature", temperature(99), printer_id=OTHER_PRINTER)
        await printer.publish("status", report("status", "workReport", state="busy"))
        await wait_until(lambda: len(events.reports) >= 2)
        temp, status = events.reports
        assert isinstance(temp, TemperatureReport)
        assert temp.nozzle == 201.5
        assert temp.printer_id == PRINTER
        assert isinstance(status, StatusReport)
        assert client.connected
    assert events.connection == [True, False]
    assert not client.connected


@pytest.mark.parametrize(
    ("style", "suffix"),
    [
        (TopicStyle.TYPE, "/file"),
        (TopicStyle.TYPE_ACTION, "/file/listLocal"),
        (TopicStyle.ACTION, "/listLocal"),
    ],
)
async def test_send_topic_qos_retain(broker: AnyBroker, style: TopicStyle, suffix: str) -> None:
    events = Events()
    async with (
        running(plain(broker), events, topic_style=style) as client,
        printer_on(broker.port) as printer,
    ):
        cmd = commands.list_files("local", "/gcode")
        await client.send(cmd)
        message = await printer.next_command()
    assert message.topic.value == f"{COMMAND_BASE}/{MODEL}/{PRINTER}{suffix}"
    if broker.kind == "mosquitto":
        # mosquitto delivers min(publish QoS, subscription QoS 1); amqtt always uses the
        # subscription's QoS, so only mosquitto shows what the client published with.
        assert message.qos == 0
    assert message.retain is False
    assert isinstance(message.payload, bytes)
    assert message.payload == cmd.payload()
    body = json.loads(message.payload)
    assert (body["type"], body["action"], body["msgid"]) == ("file", "listLocal", cmd.msgid)


async def test_send_writes_at_once_and_big_ones_through_the_loop(
    mosquitto_broker: MosquittoBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command goes out inside send(); one too big for the socket finishes via a writer."""
    loop = asyncio.get_running_loop()
    writers: list[int] = []
    add_writer = loop.add_writer

    def counting_add_writer(fd: Any, callback: Any, *args: Any) -> None:
        writers.append(fd)
        add_writer(fd, callback, *args)

    monkeypatch.setattr(loop, "add_writer", counting_add_writer)
    events = Events()
    async with (
        running(plain(mosquitto_broker), events) as client,
        printer_on(mosquitto_broker.port) as printer,
    ):
        writers.clear()
        small = commands.query_status()
        await client.send(small)
        assert writers == []
        assert (await printer.next_command()).payload == small.payload()

        # The socket takes part of the big one, then is full: the rest must wait for the loop.
        # (A small SO_SNDBUF did this only when the broker read slower than we wrote.)
        paho = client._mqtt._client
        real_send = paho._sock_send
        calls = 0

        def send_until_full(buf: bytes) -> int:
            nonlocal calls
            calls += 1
            if len(buf) > 64 * 1024 and calls == 1:
                return real_send(buf[: 16 * 1024])
            if len(buf) > 64 * 1024 and calls == 2:
                raise BlockingIOError
            return real_send(buf)

        monkeypatch.setattr(paho, "_sock_send", send_until_full)
        big = commands.Command("file", "listLocal", {"path": "x" * (256 * 1024)})
        await client.send(big)
        assert writers
        assert (await printer.next_command()).payload == big.payload()


async def test_request_reply(broker: AnyBroker) -> None:
    events = Events()
    async with running(plain(broker), events) as client, printer_on(broker.port) as printer:

        async def answer() -> None:
            message = await printer.next_command()
            body = json.loads(message.payload)  # type: ignore[arg-type]
            # Unrelated reports first: they must not satisfy the request.
            await printer.publish("tempature", temperature(30))
            await printer.publish("file", report("file", "listUdisk", {"records": []}))
            await printer.publish(
                "file",
                report(
                    "file",
                    body["action"],
                    {"records": [{"filename": "cube.gcode", "size": 1234, "is_dir": False}]},
                ),
            )

        responder = asyncio.create_task(answer())
        reply = await client.request(commands.list_files("local"), timeout=5)
        await responder
    assert isinstance(reply, FileListReport)
    assert [entry.name for entry in reply.files] == ["cube.gcode"]
    # Every report still went to the callback, the reply included.
    assert len(events.reports) == 3


async def test_request_failed_answer(amqtt_broker: AnyBroker) -> None:
    events = Events()
    async with (
        running(plain(amqtt_broker), events) as client,
        printer_on(amqtt_broker.port) as printer,
    ):

        async def answer() -> None:
            await printer.next_command()
            await printer.publish("status", report("status", "query", state="failed"))

        responder = asyncio.create_task(answer())
        with pytest.raises(KobraCommandError) as err:
            await client.request(commands.query_status(), timeout=5)
        await responder
    assert err.value.state == "failed"


async def test_request_timeout(broker: AnyBroker) -> None:
    events = Events()
    async with running(plain(broker), events) as client:
        with pytest.raises(KobraTimeoutError):
            await client.request(commands.query_status(), timeout=0.2)
        assert client.connected
        assert client._router.pending == 0


async def test_send_while_disconnected_raises_at_once(mosquitto_broker: MosquittoBroker) -> None:
    events = Events()
    client = make_client(plain(mosquitto_broker), events)
    with pytest.raises(KobraNotConnectedError):
        await client.send(commands.query_status())
    client.start()
    try:
        await wait_until(lambda: client.connected)
        await mosquitto_broker.kill()
        await wait_until(lambda: not client.connected)
        with pytest.raises(KobraNotConnectedError):
            await client.send(commands.stop_print("42"))
        with pytest.raises(KobraNotConnectedError):
            await client.request(commands.stop_print("42"), timeout=5)
        await mosquitto_broker.start()
        async with printer_on(mosquitto_broker.port) as printer:
            await wait_until(lambda: client.connected)
            # The refused commands are gone for good: nothing is replayed after reconnecting.
            await client.send(commands.query_status())
            message = await printer.next_command()
            assert json.loads(message.payload)["type"] == "status"  # type: ignore[arg-type]
            assert printer.commands.empty()
    finally:
        await client.stop()
    assert events.connection == [True, False, True, False]


async def test_connect_nothing_listening(socket_enabled: None) -> None:
    # Port 1 on loopback: nothing listens there, the refusal is immediate.
    client = make_client(BrokerConfig("127.0.0.1", 1), Events())
    with pytest.raises(KobraConnectionError):
        await client.connect()
    assert not client.connected


async def test_connect_then_run_takes_over(amqtt_broker: AnyBroker) -> None:
    events = Events()
    client = make_client(plain(amqtt_broker), events)
    await client.connect()
    assert client.connected
    client.start()
    try:
        async with printer_on(amqtt_broker.port) as printer:
            await printer.publish("tempature", temperature(50))
            await wait_until(lambda: len(events.reports) == 1)
    finally:
        await client.stop()
    # One connection only: connect() made it, run() used it.
    assert events.connection == [True, False]


# --- authentication ------------------------------------------------------------------------


async def test_auth_failure_mosquitto(make_mosquitto) -> None:
    broker = await make_mosquitto(users={"maker": "right"})
    events = Events()
    wrong = make_client(plain(broker, username="maker", password="wrong"), events)
    with pytest.raises(KobraAuthError):
        await wrong.connect()
    with pytest.raises(KobraAuthError):
        await make_client(plain(broker), Events()).connect()

    # run() gives up after one refusal and reports it, instead of hammering the broker.
    task = wrong.start()
    await asyncio.wait_for(task, 5)
    assert len(events.auth_failed) == 1
    assert events.connection == []
    await wrong.stop()

    good_events = Events()
    async with running(plain(broker, username="maker", password="right"), good_events) as good:
        assert good.connected


async def test_auth_failure_amqtt(make_amqtt) -> None:
    broker = await make_amqtt(username="maker", password="right")
    with pytest.raises(KobraAuthError):
        await make_client(plain(broker, username="maker", password="nope"), Events()).connect()
    ok = make_client(plain(broker, username="maker", password="right"), Events())
    await ok.connect()
    await ok.stop()


def test_broker_config_repr_hides_secrets() -> None:
    cfg = BrokerConfig(
        "10.0.0.5",
        8883,
        username="maker",
        password="hunter2",
        tls=True,
        client_cert="-----BEGIN CERTIFICATE-----",
        client_key="-----BEGIN PRIVATE KEY----- sekrit",
    )
    text = repr(cfg)
    assert "hunter2" not in text
    assert "sekrit" not in text
    assert "PRIVATE" not in text
    assert "maker" in text
    assert "10.0.0.5" in text


def test_client_ids_are_unique_and_short() -> None:
    cfg = BrokerConfig("127.0.0.1")
    ids = {make_client(cfg, Events()).client_id for _ in range(50)}
    assert len(ids) == 50
    for client_id in ids:
        assert client_id.startswith("ha-kobra2-")
        assert len(client_id) <= 23


# --- TLS -----------------------------------------------------------------------------------


@pytest.fixture
def ssl_loads_off_loop(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the thread of every SSLContext file/CA load; fail if one runs on this thread."""
    loop_thread = threading.get_ident()
    calls: list[str] = []
    for name in (
        "load_cert_chain",
        "load_verify_locations",
        "load_default_certs",
        "set_default_verify_paths",
    ):
        original = getattr(ssl.SSLContext, name)

        def wrapper(
            self: ssl.SSLContext, *args: Any, _o: Any = original, _n: str = name, **kw: Any
        ) -> Any:
            calls.append(_n)
            assert threading.get_ident() != loop_thread, f"{_n} ran on the event loop"
            return _o(self, *args, **kw)

        monkeypatch.setattr(ssl.SSLContext, name, wrapper)
    return calls


async def test_tls_private_ca(make_mosquitto, ssl_loads_off_loop: list[str]) -> None:
    broker = await make_mosquitto(tls=True)
    cfg = BrokerConfig(broker.host, broker.tls_port, tls=True, ca_data=broker.pki.ca_pem)
    events = Events()
    async with running(cfg, events), printer_on(broker.port) as printer:
        await printer.publish("tempature", temperature(180))
        await wait_until(lambda: len(events.reports) == 1)
    assert "load_verify_locations" in ssl_loads_off_loop

    other_ca = generate_pki("another CA").ca_pem
    wrong = BrokerConfig(broker.host, broker.tls_port, tls=True, ca_data=other_ca)
    with pytest.raises(KobraConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        await make_client(wrong, Events()).connect()

    # verify=False accepts any certificate, with a context of its own.
    insecure = BrokerConfig(broker.host, broker.tls_port, tls=True, ca_data=other_ca, verify=False)
    client = make_client(insecure, Events())
    await client.connect()
    await client.stop()


async def test_tls_client_certificate(
    make_mosquitto, tmp_path, monkeypatch: pytest.MonkeyPatch, ssl_loads_off_loop: list[str]
) -> None:
    broker = await make_mosquitto(require_certificate=True)
    pki = broker.pki
    # The PEM text goes through a temporary file; it must be gone afterwards.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    without = BrokerConfig(broker.host, broker.tls_port, tls=True, ca_data=pki.ca_pem)
    with pytest.raises(KobraConnectionError, match="closed before CONNACK"):
        # TLS 1.3: the refusal comes after the handshake; it must not wait for the timeout.
        await make_client(without, Events(), connect_timeout=30).connect()

    cfg = BrokerConfig(
        broker.host,
        broker.tls_port,
        tls=True,
        ca_data=pki.ca_pem,
        client_cert=pki.client_cert_pem,
        client_key=pki.client_key_pem,
    )
    events = Events()
    async with running(cfg, events), printer_on(broker.port) as printer:
        await printer.publish("tempature", temperature(181))
        await wait_until(lambda: len(events.reports) == 1)
    assert "load_cert_chain" in ssl_loads_off_loop
    assert list(scratch.iterdir()) == []


async def test_ssl_context_settings(ssl_loads_off_loop: list[str]) -> None:
    pki = generate_pki()
    assert await build_ssl_context(BrokerConfig("h")) is None
    strict = await build_ssl_context(BrokerConfig("h", tls=True, ca_data=pki.ca_pem))
    loose = await build_ssl_context(BrokerConfig("h", tls=True, verify=False))
    again = await build_ssl_context(BrokerConfig("h", tls=True, verify=False))
    assert strict is not None
    assert loose is not None
    assert strict.verify_mode == ssl.CERT_REQUIRED
    assert strict.check_hostname is True
    assert loose.verify_mode == ssl.CERT_NONE
    assert loose.check_hostname is False
    assert loose is not again
    # A broken key is reported as a connection problem, without echoing the PEM.
    with pytest.raises(KobraConnectionError) as err:
        await build_ssl_context(
            BrokerConfig(
                "h", tls=True, client_cert=pki.client_cert_pem, client_key="-----garbage-----"
            )
        )
    assert "garbage" not in str(err.value)


# --- resilience ----------------------------------------------------------------------------


async def test_reconnect_after_restart(mosquitto_broker: MosquittoBroker, caplog) -> None:
    events = Events()
    async with running(plain(mosquitto_broker), events) as client:
        port = mosquitto_broker.port
        await mosquitto_broker.restart()
        await wait_until(lambda: events.connection == [True, False, True])
        assert mosquitto_broker.port == port
        async with printer_on(port) as printer:
            await printer.publish("tempature", temperature(77))
            await wait_until(lambda: len(events.reports) == 1)
            # Subscribed once per connection: one report, one delivery.
            await printer.publish("tempature", temperature(78))
            await wait_until(lambda: len(events.reports) == 2)
        assert [r.nozzle for r in events.reports] == [77, 78]  # type: ignore[union-attr]
        assert client.connected
    lost = [r for r in caplog.records if "lost or refused" in r.getMessage()]
    restored = [r for r in caplog.records if "restored" in r.getMessage()]
    assert len(lost) == 1
    assert len(restored) == 1


async def test_frozen_broker_detected_and_recovered(mosquitto_broker: MosquittoBroker) -> None:
    events = Events()
    cfg = plain(mosquitto_broker, keepalive=1)
    async with running(cfg, events):
        mosquitto_broker.freeze()
        try:
            await wait_until(lambda: events.connection == [True, False], timeout=10)
        finally:
            mosquitto_broker.thaw()
        await wait_until(lambda: events.connection == [True, False, True], timeout=10)


async def test_malformed_payloads_one_warning(amqtt_broker: AnyBroker, caplog) -> None:
    events = Events()
    caplog.set_level(logging.DEBUG, logger=client_mod.__name__)
    async with (
        running(plain(amqtt_broker), events) as client,
        printer_on(amqtt_broker.port) as printer,
    ):
        await printer.publish("tempature", b"{not json" + b"x" * 5000)
        await printer.publish("tempature", b"\xff\xfe")
        await printer.publish("tempature", b"[1, 2, 3]")
        await printer.publish("tempature", temperature(42))
        await wait_until(lambda: len(events.reports) == 1)
        assert client.connected
    warnings = [
        r for r in caplog.records if r.name == client_mod.__name__ and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1
    text = warnings[0].getMessage()
    assert "malformed" in text
    # The payload is shown, but cut to its first 200 bytes.
    assert "{not json" + "x" * 191 + "..." in text
    assert "x" * 192 not in text


async def test_report_callback_error_keeps_link(amqtt_broker: AnyBroker, caplog) -> None:
    seen: list[Report] = []

    def on_report(rep: Report) -> None:
        seen.append(rep)
        if len(seen) == 1:
            raise RuntimeError("callback bug")

    client = KobraClient(plain(amqtt_broker), MODEL, PRINTER, on_report=on_report, **FAST)
    client.start()
    try:
        await wait_until(lambda: client.connected)
        async with printer_on(amqtt_broker.port) as printer:
            await printer.publish("tempature", temperature(1))
            await printer.publish("tempature", temperature(2))
            await wait_until(lambda: len(seen) == 2)
        assert client.connected
    finally:
        await client.stop()
    assert any("callback bug" in (r.exc_text or "") or r.exc_info for r in caplog.records)


async def test_unexpected_exception_in_loop(
    amqtt_broker: AnyBroker, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    # A fault a broker cannot produce: the message handler itself blows up once.
    events = Events()
    original = KobraClient._handle_message
    calls = 0

    def flaky(self: KobraClient, topic: str, payload: bytes) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("unexpected")
        original(self, topic, payload)

    monkeypatch.setattr(KobraClient, "_handle_message", flaky)
    async with (
        running(plain(amqtt_broker), events) as client,
        printer_on(amqtt_broker.port) as printer,
    ):
        await printer.publish("tempature", temperature(1))
        await wait_until(lambda: events.connection == [True, False, True])
        await printer.publish("tempature", temperature(2))
        await wait_until(lambda: len(events.reports) == 1)
        assert client.connected
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.exc_info]
    assert len(errors) == 1


async def test_stop_is_idempotent(amqtt_broker: AnyBroker) -> None:
    client = make_client(plain(amqtt_broker), Events())
    await client.stop()
    client.start()
    await wait_until(lambda: client.connected)
    await client.stop()
    await client.stop()
    assert not client.connected


# --- discovery -----------------------------------------------------------------------------


async def test_discover(broker: AnyBroker) -> None:
    async with printer_on(broker.port) as printer:

        async def chatter() -> None:
            while True:
                await printer.publish("tempature", temperature(20))
                await printer.publish(
                    "status", report("status", "workReport"), OTHER_PRINTER, "20023"
                )
                await printer.mqtt.publish(f"{REPORT_BASE}/20021/not-a-printer/x/report", b"{}")
                await asyncio.sleep(0.05)

        task = asyncio.create_task(chatter())
        try:
            found = await discover(plain(broker), timeout=0.5)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert found == [
        DiscoveredPrinter("20021", PRINTER),
        DiscoveredPrinter("20023", OTHER_PRINTER),
    ]


async def test_discover_errors(make_mosquitto) -> None:
    broker = await make_mosquitto(users={"maker": "right"})
    with pytest.raises(KobraAuthError):
        await discover(plain(broker, username="maker", password="bad"), timeout=0.2)
    assert await discover(plain(broker, username="maker", password="right"), timeout=0.2) == []
    with pytest.raises(KobraConnectionError):
        await discover(BrokerConfig("127.0.0.1", 1), timeout=0.2)


async def test_cancelled_connect_leaves_nothing_behind(make_mosquitto) -> None:
    # A frozen broker accepts TCP but never answers; with TLS the attempt then hangs in the
    # handshake inside aiomqtt's executor thread, which a cancellation cannot stop.
    broker = await make_mosquitto(tls=True)
    cfg = BrokerConfig(broker.host, broker.tls_port, tls=True, ca_data=broker.pki.ca_pem)
    client = make_client(cfg, Events(), connect_timeout=5)
    await client._tls()  # build the context now, so the attempt is at the handshake when cancelled
    broker.freeze()
    try:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await client.connect()
    finally:
        broker.thaw()
    assert not client.connected
    # The abandoned attempt completes after the thaw and is closed at once.
    # mosquitto 2.0: "Client <id> closed its connection."; 2.1: "Client <id> [addr] disconnected: …".
    closed = re.compile(rf"Client {client.client_id}\b.*(closed its connection|disconnected)")
    try:
        await wait_until(lambda: closed.search(broker.read_log()) is not None)
    except TimeoutError:
        raise AssertionError(f"not closed; mosquitto log:\n{broker.read_log()}") from None
    await client.connect()
    assert client.connected
    await client.stop()
