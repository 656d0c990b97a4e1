"""The test brokers work: alone, next to Home Assistant's `hass`, with passwords, TLS and restarts."""

from __future__ import annotations

import asyncio
import ssl

import aiomqtt
import pytest

from tests.helpers.brokers import AmqttBroker, AnyBroker, MosquittoBroker
from tests.helpers.certs import generate_pki


async def _roundtrip(
    port: int,
    *,
    username: str | None = None,
    password: str | None = None,
    tls_context: ssl.SSLContext | None = None,
    timeout: float = 5,
) -> bytes:
    """Publish to a topic we subscribed to and return what came back."""
    async with aiomqtt.Client(
        "127.0.0.1",
        port,
        username=username,
        password=password,
        tls_context=tls_context,
        timeout=timeout,
    ) as client:
        await client.subscribe("kobra2/test/#")
        await client.publish("kobra2/test/x", b"hello")
        async with asyncio.timeout(5):
            async for message in client.messages:
                return bytes(message.payload)  # type: ignore[arg-type]
    raise AssertionError("no message")


async def test_amqtt_with_hass(hass, amqtt_broker: AmqttBroker) -> None:
    """A client connects to amqtt inside a Home Assistant test; cleanup checks stay green."""
    assert hass.is_running
    assert await _roundtrip(amqtt_broker.port) == b"hello"


async def test_mosquitto_with_hass(hass, mosquitto_broker: MosquittoBroker) -> None:
    """A client connects to mosquitto inside a Home Assistant test."""
    assert await _roundtrip(mosquitto_broker.port) == b"hello"


async def test_both_brokers(broker: AnyBroker) -> None:
    """The parametrised fixture yields a working broker of each kind."""
    assert await _roundtrip(broker.port) == b"hello"


async def test_amqtt_credentials(make_amqtt) -> None:
    """An amqtt broker with a user accepts that user only."""
    broker = await make_amqtt(username="maker", password="s3cret")
    assert await _roundtrip(broker.port, username="maker", password="s3cret") == b"hello"
    with pytest.raises(aiomqtt.MqttCodeError):
        await _roundtrip(broker.port, username="maker", password="wrong")


async def test_mosquitto_password_file(make_mosquitto) -> None:
    """Our hand-written $7$ hash is accepted by mosquitto; wrong and missing passwords are not."""
    broker = await make_mosquitto(users={"maker": "s3cret"})
    assert await _roundtrip(broker.port, username="maker", password="s3cret") == b"hello"
    for username, password in (("maker", "wrong"), (None, None)):
        with pytest.raises(aiomqtt.MqttCodeError) as err:
            await _roundtrip(broker.port, username=username, password=password)
        assert err.value.rc in (4, 5, 134, 135)


async def test_mosquitto_tls_private_ca(make_mosquitto) -> None:
    """The TLS listener's certificate verifies against the private CA and not against another."""
    broker = await make_mosquitto(tls=True)
    ctx = ssl.create_default_context(cadata=broker.pki.ca_pem)
    assert await _roundtrip(broker.tls_port, tls_context=ctx) == b"hello"
    wrong = ssl.create_default_context(cadata=generate_pki("other CA").ca_pem)
    with pytest.raises(aiomqtt.MqttError):
        await _roundtrip(broker.tls_port, tls_context=wrong)


async def test_mosquitto_require_certificate(make_mosquitto, tmp_path) -> None:
    """With require_certificate a client without certificate is refused, one with it gets in."""
    broker = await make_mosquitto(require_certificate=True)
    files = broker.pki.write(tmp_path / "client-pki")
    bare = ssl.create_default_context(cadata=broker.pki.ca_pem)
    # With TLS 1.3 the refusal comes after the handshake; aiomqtt then waits for a CONNACK.
    with pytest.raises(aiomqtt.MqttError):
        await _roundtrip(broker.tls_port, tls_context=bare, timeout=1)
    ctx = ssl.create_default_context(cadata=broker.pki.ca_pem)
    ctx.load_cert_chain(files.client_cert, files.client_key)
    assert await _roundtrip(broker.tls_port, tls_context=ctx) == b"hello"


async def test_mosquitto_kill_freeze_restart(mosquitto_broker: MosquittoBroker) -> None:
    """kill() ends the process, restart() comes back on the same port, freeze/thaw keep it alive."""
    port, pid = mosquitto_broker.port, mosquitto_broker.pid
    await mosquitto_broker.kill()
    assert not mosquitto_broker.running
    with pytest.raises(aiomqtt.MqttError):
        await _roundtrip(port)
    await mosquitto_broker.restart()
    assert mosquitto_broker.port == port
    assert mosquitto_broker.pid not in (None, pid)
    mosquitto_broker.freeze()
    assert mosquitto_broker.running
    mosquitto_broker.thaw()
    assert await _roundtrip(port) == b"hello"


async def test_amqtt_restart_same_port(amqtt_broker: AmqttBroker) -> None:
    """An amqtt broker can be restarted on its port."""
    port = amqtt_broker.port
    await amqtt_broker.restart()
    assert amqtt_broker.port == port
    assert await _roundtrip(port) == b"hello"
