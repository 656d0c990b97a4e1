"""MQTT link to one Kobra 2 printer over its broker: connection loop, reports, commands; discovery."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
import logging
import random
import secrets
import ssl
import time
from typing import Final

import aiomqtt

from . import _aiomqtt
from .commands import Command
from .const import DISCOVERY_TOPIC
from .exceptions import (
    KobraAuthError,
    KobraConnectionError,
    KobraError,
    KobraNotConnectedError,
)
from .limits import StepBudget
from .link import AuthFailedCallback, BaseLink, ConnectionCallback
from .models import TopicStyle
from .parser import parse_topic
from .routing import RateLimitedWarning, ReportCallback
from .tls import build_ssl_context

_LOGGER = logging.getLogger(__name__)

CLIENT_ID_PREFIX: Final = "ha-kobra2-"
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
MIN_BACKOFF: Final = 1.0
MAX_BACKOFF: Final = 60.0
_NOT_CONNECTED_CODES: Final = (4,)  # paho MQTT_ERR_NO_CONN on publish
_STABLE_AFTER: Final = 30.0
# Connections in a row that broke before _STABLE_AFTER before the client-id warning.
_FLAP_WARN_AFTER: Final = 2


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


def new_client_id() -> str:
    """Return a fresh client id (22 characters, unique per client object)."""
    return f"{CLIENT_ID_PREFIX}{secrets.token_hex(6)}"


class KobraClient(BaseLink):
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
        super().__init__(
            model_id,
            printer_id,
            on_report=on_report,
            on_connection=on_connection,
            topic_style=topic_style,
            logger=_LOGGER,
        )
        self.broker = broker
        self.client_id = client_id or new_client_id()
        self._on_auth_failed = on_auth_failed
        self._connect_timeout = connect_timeout
        self._min_backoff = min_backoff
        self._max_backoff = max(max_backoff, min_backoff)
        self._ssl_context: ssl.SSLContext | None = None
        self._ssl_ready = False
        self._mqtt: aiomqtt.Client | None = None
        self._connect_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._warn_overload = RateLimitedWarning(_LOGGER)
        self._log_outages = log_outages
        self._outage_logged = False
        self._last_error: str | None = None
        self._unexpected_seen: set[str] = set()

    def _repr_details(self) -> str:
        """Return the client id and the broker (never its credentials)."""
        return f"{self.client_id} {self.broker.host}:{self.broker.port}"

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
            client = await _aiomqtt.open_client(
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
            _aiomqtt.discard(client)

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
        assert isinstance(client, _aiomqtt.MqttClient)
        dropped = client.dropped
        budget = StepBudget()
        async for message in client.messages:
            budget.restart()
            self._handle_message(message.topic.value, _aiomqtt.payload_bytes(message.payload))
            # Handle whatever else is queued in this same step: aiomqtt's iterator costs a
            # task and two loop turns per message, too slow for a burst of reports.
            while True:
                if budget.spent:
                    # Heavy reports: let the rest of Home Assistant run before the next one.
                    await asyncio.sleep(0)
                    budget.restart()
                if (queued := client.take_queued()) is None:
                    break
                self._handle_message(queued.topic.value, _aiomqtt.payload_bytes(queued.payload))
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
            if _aiomqtt.reason_value(err) in _NOT_CONNECTED_CODES:
                raise KobraNotConnectedError("not connected to the MQTT broker") from None
            raise KobraConnectionError(f"publish failed: {err}") from None
        except aiomqtt.MqttError as err:
            raise KobraConnectionError(f"publish failed: {err}") from None


async def discover(broker: BrokerConfig, timeout: float = 3.0) -> list[DiscoveredPrinter]:  # noqa: ASYNC109
    """Return the printers that publish on the broker within timeout seconds (sorted).

    Raises KobraConnectionError or KobraAuthError when the broker cannot be used.
    """
    tls_context = await build_ssl_context(broker)
    client = await _aiomqtt.open_client(
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
        _aiomqtt.discard(client)
    return sorted(found, key=lambda p: (p.model_id, p.printer_id))
