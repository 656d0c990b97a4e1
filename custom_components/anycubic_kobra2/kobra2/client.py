"""MQTT link to one Kobra 2 printer: connection loop, reports, commands and discovery."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass, field
import logging
import os
from pathlib import Path
import random
import secrets
import select
import ssl
import tempfile
import time
from typing import Any, Final

import aiomqtt

from .commands import Command
from .const import DISCOVERY_TOPIC, normalize_printer_id, report_topic_filter
from .exceptions import (
    KobraAuthError,
    KobraConnectionError,
    KobraError,
    KobraNotConnectedError,
)
from .limits import StepBudget
from .models import Report, TopicStyle
from .parser import parse_topic
from .pem import no_pass_phrase
from .routing import RateLimitedWarning, ReportCallback, ReportRouter

_LOGGER = logging.getLogger(__name__)
# paho's own messages, under this module so users can tune them separately.
_PAHO_LOGGER = _LOGGER.getChild("paho")

CLIENT_ID_PREFIX: Final = "ha-kobra2-"
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
MIN_BACKOFF: Final = 1.0
MAX_BACKOFF: Final = 60.0
# CONNACK 4/5 (MQTT 3.1.1) and the reason codes paho turns them into (134/135).
_AUTH_FAILURE_CODES: Final = (4, 5, 134, 135)
_NOT_CONNECTED_CODES: Final = (4,)  # paho MQTT_ERR_NO_CONN on publish
_STABLE_AFTER: Final = 30.0
# Connections in a row that broke before _STABLE_AFTER before the client-id warning.
_FLAP_WARN_AFTER: Final = 2
_MAX_QUEUED_MESSAGES: Final = 1000
# Packets read per readable event (aiomqtt reads one, a loop turn each: slow in a burst).
_READ_BATCH: Final = 25

type ConnectionCallback = Callable[[bool], None]
type AuthFailedCallback = Callable[[KobraAuthError], None]


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    """Where and how to reach the MQTT broker the printer uses (secrets are left out of repr)."""

    host: str
    port: int = 1883
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    ca_data: str | None = field(default=None, repr=False)
    client_cert: str | None = field(default=None, repr=False)
    client_key: str | None = field(default=None, repr=False)
    verify: bool = True
    keepalive: int = 60


@dataclass(frozen=True, slots=True)
class DiscoveredPrinter:
    """A printer seen publishing on the broker."""

    model_id: str
    printer_id: str


def _make_ssl_context(cfg: BrokerConfig) -> ssl.SSLContext:
    """Build a private SSL context; does file I/O, so it must run in an executor."""
    if cfg.verify:
        # With a CA given only that CA is trusted; without, the system store.
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=cfg.ca_data or None)
        if cfg.ca_data:
            # Home-made CAs often lack extensions that Python 3.13's strict mode demands
            # (e.g. Authority Key Identifier); the chain and hostname are still verified.
            ctx.verify_flags &= ~ssl.VERIFY_X509_STRICT
    else:
        # Insecure mode gets a context of its own, so no shared context is ever weakened.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cfg.client_cert:
        # load_cert_chain only reads files: write the PEM text to a private temporary
        # directory and remove it right after loading.
        with tempfile.TemporaryDirectory(prefix="kobra2-tls-") as tmp:
            path = Path(tmp) / "client.pem"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(cfg.client_cert.strip() + "\n")
                if cfg.client_key:
                    file.write(cfg.client_key.strip() + "\n")
            # A callable password: OpenSSL must never prompt for an encrypted key's pass phrase.
            ctx.load_cert_chain(path, password=no_pass_phrase)
    return ctx


async def build_ssl_context(cfg: BrokerConfig) -> ssl.SSLContext | None:
    """Return a new SSL context for cfg (None without TLS), built off the event loop."""
    if not cfg.tls:
        return None
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(None, _make_ssl_context, cfg)
    except (ssl.SSLError, ValueError, OSError) as err:
        # The message names the failing step, never the PEM content.
        raise KobraConnectionError(f"invalid TLS settings: {err}") from None


def new_client_id() -> str:
    """Return a fresh client id (22 characters, unique per client object)."""
    return f"{CLIENT_ID_PREFIX}{secrets.token_hex(6)}"


def _code_value(code: object) -> int:
    """Return the number of a paho ReasonCode or a plain int code (-1 if neither)."""
    value = getattr(code, "value", code)
    return value if isinstance(value, int) else -1


def _reason_value(err: aiomqtt.MqttCodeError) -> int:
    """Return the numeric code of an aiomqtt error."""
    return _code_value(err.rc)


def _translate(err: aiomqtt.MqttError, action: str) -> KobraError:
    """Map an aiomqtt error to the package's exceptions."""
    if isinstance(err, aiomqtt.MqttCodeError) and _reason_value(err) in _AUTH_FAILURE_CODES:
        return KobraAuthError(f"broker refused the credentials ({err})")
    return KobraConnectionError(f"{action} failed: {err}")


def _discard(client: aiomqtt.Client) -> None:
    """Close a client's socket(s) for good.

    aiomqtt leaves the socket (and its reader and housekeeping task) open when CONNECT
    times out or the link breaks inside a read; paho's reset closes everything.
    """
    with contextlib.suppress(Exception):
        client._client._reset_sockets()


def _discard_after(client: aiomqtt.Client, enter: asyncio.Future[Any]) -> None:
    """Close a client whose abandoned connection attempt just finished."""
    if not enter.cancelled():
        enter.exception()  # retrieved on purpose: nobody else will look at it
    connected = client._connected
    if connected.done() and not connected.cancelled():
        connected.exception()  # the failure set by _open_client when it was cancelled
    _discard(client)


def _payload_bytes(payload: Any) -> bytes:
    """Return an aiomqtt payload as bytes."""
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    if payload is None:
        return b""
    return str(payload).encode()


class _MqttClient(aiomqtt.Client):
    """aiomqtt client that fails a connection attempt as soon as the broker hangs up.

    aiomqtt ignores a disconnect before CONNACK and waits for its full timeout; a broker
    that refuses a TLS client without certificate (TLS 1.3) closes exactly then.
    """

    def _on_disconnect(
        self,
        client: Any,
        userdata: Any,
        flags: Any,
        reason_code: Any,
        properties: Any = None,
    ) -> None:
        """Fail the pending connection attempt, else behave like aiomqtt."""
        if self._lock.locked() and not self._connected.done():
            self._connected.set_exception(
                aiomqtt.MqttError(f"connection closed before CONNACK ({reason_code})")
            )
            return
        super()._on_disconnect(client, userdata, flags, reason_code, properties)

    # Reports that arrived while the queue was full (the oldest queued ones were dropped).
    dropped = 0

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        """Queue a message; when the queue is full drop the oldest, so the newest state wins.

        aiomqtt would drop the newest instead (and log every single one).
        """
        queue = self._queue
        if queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()
            self.dropped += 1
        super()._on_message(client, userdata, message)

    def _on_socket_open(self, client: Any, userdata: Any, sock: Any) -> None:
        """Set up like aiomqtt, then read up to _READ_BATCH packets per readable event."""
        super()._on_socket_open(client, userdata, sock)
        poller = select.poll()
        poller.register(sock.fileno(), select.POLLIN)

        def more_to_read() -> bool:
            """Return whether the socket (or its TLS buffer) holds more bytes right now."""
            pending = getattr(sock, "pending", None)
            return bool((pending is not None and pending()) or poller.poll(0))

        def on_readable() -> None:
            """Let paho read while data is waiting; a failure means the link broke."""
            try:
                budget = StepBudget()
                for _ in range(_READ_BATCH):
                    client.loop_read()
                    if client.socket() is not sock or not more_to_read():
                        return
                    if budget.spent:
                        # Big packets: read on in the next loop step. Bytes already in the
                        # TLS buffer would not wake the reader, so ask for that step.
                        pending = getattr(sock, "pending", None)
                        if pending is not None and pending():
                            self._loop.call_soon(on_readable)
                        return
            except Exception as exc:  # any error ends this connection
                if not self._disconnected.done():
                    self._disconnected.set_exception(exc)

        def register() -> None:
            """Replace aiomqtt's reader (registered just before) if the socket still lives."""
            if client.socket() is sock and sock.fileno() >= 0:
                self._loop.add_reader(sock.fileno(), on_readable)

        self._loop.call_soon_threadsafe(register)

    def _on_socket_register_write(self, client: Any, userdata: Any, sock: Any) -> None:
        """Write at once when called on the loop, else watch the socket for writability.

        aiomqtt always waits for the loop to report the socket writable, which costs a
        command two loop turns. Registering goes through call_soon_threadsafe and checks
        the socket still lives: a publish racing with a close would otherwise hand the loop
        a dead file descriptor ("Bad file descriptor").
        """

        def on_writable() -> None:
            """Let paho write; a failure means the link broke."""
            try:
                client.loop_write()
            except Exception as exc:  # any error ends this connection
                if not self._disconnected.done():
                    self._disconnected.set_exception(exc)

        def register() -> None:
            """Add the writer if this socket is still the client's live socket."""
            if client.socket() is sock and sock.fileno() >= 0:
                self._loop.add_writer(sock.fileno(), on_writable)

        if self._on_loop_thread() and not self._in_paho_callback(client):
            on_writable()
            if not client.want_write():
                return
        self._loop.call_soon_threadsafe(register)

    def _on_loop_thread(self) -> bool:
        """Return whether this runs in the event loop (paho connects in an executor thread)."""
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    @staticmethod
    def _in_paho_callback(client: Any) -> bool:
        """Return whether paho is inside one of its callbacks (where it never writes itself)."""
        mutex = client._in_callback_mutex
        if not mutex.acquire(blocking=False):
            return True
        mutex.release()
        return False


class KobraClient:
    """Keeps one MQTT connection for one printer alive, delivers its reports and sends commands."""

    def __init__(
        self,
        broker: BrokerConfig,
        model_id: str,
        printer_id: str,
        *,
        on_report: ReportCallback,
        on_connection: ConnectionCallback | None = None,
        on_auth_failed: AuthFailedCallback | None = None,
        topic_style: TopicStyle = TopicStyle.TYPE,
        client_id: str | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        min_backoff: float = MIN_BACKOFF,
        max_backoff: float = MAX_BACKOFF,
        log_outages: bool = True,
    ) -> None:
        """Prepare the client; nothing connects before connect(), run() or start().

        With log_outages False, losing and regaining the broker is logged at DEBUG only,
        for owners that report availability themselves.
        """
        self.broker = broker
        self.model_id = model_id
        self.printer_id = normalize_printer_id(printer_id)
        self.topic_style = TopicStyle(topic_style)
        self.client_id = client_id or new_client_id()
        # Validates both ids, so no wildcard or "/" can reach a topic.
        self.report_filter = report_topic_filter(model_id, self.printer_id)
        self._router = ReportRouter(model_id, self.printer_id, on_report, _LOGGER)
        self._on_connection = on_connection
        self._on_auth_failed = on_auth_failed
        self._connect_timeout = connect_timeout
        self._min_backoff = min_backoff
        self._max_backoff = max(max_backoff, min_backoff)
        self._ssl_context: ssl.SSLContext | None = None
        self._ssl_ready = False
        self._mqtt: aiomqtt.Client | None = None
        self._connect_lock = asyncio.Lock()
        self._connected = False
        self._task: asyncio.Task[None] | None = None
        self._warn_callback = self._router.warn_callback
        self._warn_overload = RateLimitedWarning(_LOGGER)
        self._log_outages = log_outages
        self._outage_logged = False
        self._last_error: str | None = None
        self._unexpected_seen: set[str] = set()

    def __repr__(self) -> str:
        """Describe the client without secrets."""
        return (
            f"<KobraClient {self.client_id} {self.broker.host}:{self.broker.port} "
            f"{self.model_id}/{self.printer_id} connected={self._connected}>"
        )

    @property
    def connected(self) -> bool:
        """Return True while subscribed on a live broker connection."""
        return self._connected

    @property
    def last_error(self) -> str | None:
        """Return why the last connection attempt or connection failed (None once connected)."""
        return self._last_error

    # --- connection ------------------------------------------------------------------------

    async def _tls(self) -> ssl.SSLContext | None:
        """Return this client's SSL context, building it (off-loop) on first use."""
        if not self._ssl_ready:
            self._ssl_context = await build_ssl_context(self.broker)
            self._ssl_ready = True
        return self._ssl_context

    async def connect(self) -> None:
        """Make one connection attempt and subscribe; raise KobraConnectionError or KobraAuthError.

        A connection made here is taken over by run(); without run() call stop() to close it.
        """
        async with self._connect_lock:
            if self._mqtt is not None:
                return
            client = await _open_client(
                self.broker,
                self.client_id,
                await self._tls(),
                self._connect_timeout,
                self.report_filter,
            )
            self._mqtt = client
            self._set_connected(True)

    async def _close(self) -> None:
        """Disconnect the current client (gracefully if possible) and forget it."""
        client, self._mqtt = self._mqtt, None
        self._set_connected(False)
        if client is None:
            return
        try:
            async with asyncio.timeout(2):
                await client.__aexit__(None, None, None)
        except Exception as err:  # the link is going away anyway
            _LOGGER.debug("Disconnect from %s:%s: %s", self.broker.host, self.broker.port, err)
        finally:
            _discard(client)

    def _set_connected(self, connected: bool) -> None:
        """Record the link state, fail pending requests on loss and notify the callback."""
        if connected == self._connected:
            return
        self._connected = connected
        if not connected:
            self._router.fail_pending(KobraConnectionError("connection to broker lost"))
        if self._on_connection is not None:
            try:
                self._on_connection(connected)
            except Exception:  # a callback bug must not kill the link
                self._warn_callback("Error in connection callback", exc_info=True)

    async def run(self) -> None:
        """Stay connected until cancelled: reconnect with backoff, stop for good on auth failure."""
        delay = self._min_backoff
        # A connection that the broker closes soon after it was made, while reconnecting
        # works at once, is the mark of another client taking over the same client id.
        short_sessions = 0
        broke_early = False
        while True:
            session_start: float | None = None
            try:
                if self._mqtt is None:
                    try:
                        await self.connect()
                    except KobraConnectionError:
                        broke_early = False
                        short_sessions = 0
                        raise
                session_start = time.monotonic()
                if broke_early:
                    broke_early = False
                    short_sessions += 1
                    if short_sessions == _FLAP_WARN_AFTER:
                        self._warn_flapping()
                self._last_error = None
                if self._outage_logged:
                    _LOGGER.log(
                        logging.INFO if self._log_outages else logging.DEBUG,
                        "Connection to MQTT broker %s:%s restored",
                        self.broker.host,
                        self.broker.port,
                    )
                    self._outage_logged = False
                await self._listen()
                raise KobraConnectionError("message stream ended")
            except asyncio.CancelledError:
                await self._close()
                raise
            except KobraAuthError as err:
                self._last_error = str(err)
                await self._close()
                _LOGGER.error(
                    "MQTT broker %s:%s refused the credentials; not reconnecting",
                    self.broker.host,
                    self.broker.port,
                )
                if self._on_auth_failed is not None:
                    try:
                        self._on_auth_failed(err)
                    except Exception:  # a callback bug must not kill the loop
                        self._warn_callback("Error in auth-failed callback", exc_info=True)
                return
            except (KobraError, aiomqtt.MqttError) as err:
                # Set before closing: the connection callback may ask why.
                self._last_error = str(err)
                await self._close()
                self._log_outage("%s", err)
                broke_early = (
                    session_start is not None and time.monotonic() - session_start < _STABLE_AFTER
                )
            except Exception as err:
                self._last_error = f"unexpected error: {err!r}"
                await self._close()
                self._log_unexpected(err)
                broke_early = False
                short_sessions = 0
            # Only a connection that stayed up for a while resets the backoff, so a link
            # that flaps right after connecting (e.g. a client-id clash) cannot storm.
            if session_start is not None and time.monotonic() - session_start >= _STABLE_AFTER:
                delay = self._min_backoff
                short_sessions = 0
            await asyncio.sleep(delay * random.uniform(0.75, 1.0))
            delay = min(delay * 2, self._max_backoff)

    def _log_outage(self, msg: str, *args: object) -> None:
        """Log a connection problem once per outage (later attempts at DEBUG)."""
        if self._outage_logged or not self._log_outages:
            self._outage_logged = True
            _LOGGER.debug("Connection to MQTT broker lost or refused: " + msg, *args)
            return
        self._outage_logged = True
        _LOGGER.warning(
            "Connection to MQTT broker %s:%s lost or refused, retrying: " + msg,
            self.broker.host,
            self.broker.port,
            *args,
        )

    def _log_unexpected(self, err: Exception) -> None:
        """Log an error that is not a connection problem: with traceback, once per kind."""
        self._outage_logged = True
        kind = type(err).__qualname__
        if kind in self._unexpected_seen:
            _LOGGER.debug("Unexpected error in the MQTT loop again: %r", err)
            return
        self._unexpected_seen.add(kind)
        _LOGGER.error(
            "Unexpected error in the MQTT loop for %s:%s; reconnecting",
            self.broker.host,
            self.broker.port,
            exc_info=err,
        )

    def _warn_flapping(self) -> None:
        """Warn that connections keep breaking right after they were made."""
        _LOGGER.warning(
            "MQTT broker %s:%s keeps closing the connection right after it is made; another "
            "client may be using the client id %s. Retrying with growing delays (up to %g s)",
            self.broker.host,
            self.broker.port,
            self.client_id,
            self._max_backoff,
        )

    async def _listen(self) -> None:
        """Deliver messages of the current connection until it breaks."""
        client = self._mqtt
        assert isinstance(client, _MqttClient)
        messages = client.messages
        dropped = client.dropped
        budget = StepBudget()
        async for message in messages:
            budget.restart()
            self._handle_message(message.topic.value, _payload_bytes(message.payload))
            # Handle whatever else is queued in this same step: aiomqtt's iterator costs a
            # task and two loop turns per message, too slow for a burst of reports.
            while len(messages):
                if budget.spent:
                    # Heavy reports: let the rest of Home Assistant run before the next one.
                    await asyncio.sleep(0)
                    budget.restart()
                    continue
                queued = client._queue.get_nowait()
                self._handle_message(queued.topic.value, _payload_bytes(queued.payload))
            if client.dropped != dropped:
                self._warn_overload(
                    "Reports from %s:%s arrive faster than they can be handled; "
                    "dropped %d older ones",
                    self.broker.host,
                    self.broker.port,
                    client.dropped - dropped,
                )
                dropped = client.dropped

    def _handle_message(self, topic: str, payload: bytes) -> None:
        """Parse one message, answer waiting requests and hand the report on."""
        self._router.handle(topic, payload)

    def start(self) -> asyncio.Task[None]:
        """Run the connection loop in a background task (idempotent) and return the task."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self.run(), name=f"kobra2 mqtt {self.printer_id[:8]}"
            )
        return self._task

    async def stop(self) -> None:
        """Stop the loop and disconnect."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._close()

    # --- commands --------------------------------------------------------------------------

    async def send(self, cmd: Command) -> None:
        """Publish cmd at QoS 0 without retain; raise KobraNotConnectedError at once when down."""
        client = self._mqtt
        if client is None or not self._connected:
            raise KobraNotConnectedError("not connected to the MQTT broker")
        topic = cmd.topic(self.model_id, self.printer_id, self.topic_style)
        try:
            await client.publish(topic, cmd.payload(), qos=0, retain=False)
        except aiomqtt.MqttCodeError as err:
            if _reason_value(err) in _NOT_CONNECTED_CODES:
                raise KobraNotConnectedError("not connected to the MQTT broker") from None
            raise KobraConnectionError(f"publish failed: {err}") from None
        except aiomqtt.MqttError as err:
            raise KobraConnectionError(f"publish failed: {err}") from None

    async def request(self, cmd: Command, timeout: float = 10.0) -> Report:  # noqa: ASYNC109
        """Send cmd and return the report answering it.

        Raises KobraTimeoutError without answer, KobraCommandError when the printer
        answers with state "failed", KobraConnectionError when the link drops meanwhile.
        """
        return await self._router.request(cmd, self.send, timeout)


async def _open_client(
    broker: BrokerConfig,
    client_id: str,
    tls_context: ssl.SSLContext | None,
    connect_timeout: float,
    topic_filter: str,
) -> aiomqtt.Client:
    """Connect a new aiomqtt client and subscribe to topic_filter; raise Kobra errors."""
    client = _MqttClient(
        broker.host,
        broker.port,
        username=broker.username or None,
        password=broker.password if broker.username else None,
        identifier=client_id,
        clean_session=True,
        keepalive=broker.keepalive,
        timeout=connect_timeout,
        tls_context=tls_context,
        max_queued_incoming_messages=_MAX_QUEUED_MESSAGES,
        logger=_PAHO_LOGGER,
    )
    # aiomqtt connects in an executor thread that a cancellation cannot stop; wait for it
    # without passing a cancellation on (asyncio.shield would log the attempt's failure on
    # Python 3.14) and close whatever it produces once it is done, so no socket outlives us.
    enter = asyncio.ensure_future(client.__aenter__())
    try:
        await asyncio.wait({enter})
        enter.result()
    except asyncio.CancelledError:
        # End the attempt now rather than when its CONNACK wait times out (a hung broker
        # would keep it, and its socket, alive that long), then close whatever it made.
        if not client._connected.done():
            client._connected.set_exception(aiomqtt.MqttError("connection attempt cancelled"))
        enter.add_done_callback(lambda _fut: _discard_after(client, enter))
        raise
    except aiomqtt.MqttError as err:
        _discard(client)
        raise _translate(err, f"connecting to {broker.host}:{broker.port}") from None
    except BaseException:
        _discard(client)
        raise
    try:
        granted = await client.subscribe(topic_filter, qos=0)
        if any(_code_value(code) >= 0x80 for code in granted):
            raise KobraConnectionError(f"broker refused the subscription to {topic_filter}")
    except BaseException as err:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2):
                await client.__aexit__(None, None, None)
        _discard(client)
        if isinstance(err, aiomqtt.MqttError):
            raise _translate(err, "subscribing") from None
        raise
    return client


async def discover(broker: BrokerConfig, timeout: float = 3.0) -> list[DiscoveredPrinter]:  # noqa: ASYNC109
    """Return the printers that publish on the broker within timeout seconds (sorted).

    Raises KobraConnectionError or KobraAuthError when the broker cannot be used.
    """
    tls_context = await build_ssl_context(broker)
    client = await _open_client(
        broker, new_client_id(), tls_context, DEFAULT_CONNECT_TIMEOUT, DISCOVERY_TOPIC
    )
    found: set[DiscoveredPrinter] = set()
    try:
        async with asyncio.timeout(timeout):
            async for message in client.messages:
                info = parse_topic(message.topic.value)
                if info is not None:
                    found.add(DiscoveredPrinter(info.model_id, info.printer_id))
    except TimeoutError:
        pass
    except aiomqtt.MqttError as err:
        # The link broke while listening: report what was seen if anything, else fail.
        if not found:
            raise KobraConnectionError(f"connection lost during discovery: {err}") from None
    finally:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2):
                await client.__aexit__(None, None, None)
        _discard(client)
    return sorted(found, key=lambda p: (p.model_id, p.printer_id))
