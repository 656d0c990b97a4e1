"""Where the client relies on aiomqtt's and paho's private API, and the check that it is still there.

aiomqtt 2.5 reads one packet per loop turn, waits for writability before every publish and drops
the newest message when its queue is full; the benchmarks showed each of these costs. MqttClient
changes them by overriding or reading these private names:

aiomqtt.Client
- `_on_disconnect` (overridden): fail a connection attempt at once when the broker hangs up
  before CONNACK (aiomqtt waits for its whole timeout), using `_lock` (held while connecting)
  and `_connected` (the future of the attempt).
- `_on_message` (overridden): when `_queue` is full drop the oldest message, not the newest.
- `_on_socket_open` (overridden): read up to READ_BATCH packets per readable event; it reads
  `_loop` and fails `_disconnected` when the link breaks.
- `_on_socket_register_write` (overridden): write at once when called on the loop, else register
  a writer on `_loop`.
- `_queue` (read): drained in one step by take_queued, so a burst costs no task per message.
- `_client` (read): the paho client underneath, for the names below.

paho.mqtt.client.Client
- `_reset_sockets()`: close a socket aiomqtt leaves open after a CONNECT timeout or a broken read.
- `_in_callback_mutex`: tells whether paho is inside one of its callbacks (where it never writes).

`missing_private_api()` lists whatever of this the installed versions lack; a test fails on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import select
import ssl
from typing import TYPE_CHECKING, Any, Final

import aiomqtt

from .exceptions import KobraAuthError, KobraConnectionError, KobraError
from .limits import StepBudget

if TYPE_CHECKING:
    from .client import BrokerConfig

# paho's own messages, under the client's logger so users can tune them separately.
_PAHO_LOGGER = logging.getLogger(f"{__package__}.client.paho")

# CONNACK 4/5 (MQTT 3.1.1) and the reason codes paho turns them into (134/135).
_AUTH_FAILURE_CODES: Final = (4, 5, 134, 135)
MAX_QUEUED_MESSAGES: Final = 1000
# Packets read per readable event (aiomqtt reads one, a loop turn each: slow in a burst).
READ_BATCH: Final = 25

# The private names this module relies on (see the module docstring).
AIOMQTT_METHODS: Final = (
    "_on_disconnect",
    "_on_message",
    "_on_socket_open",
    "_on_socket_register_write",
)
AIOMQTT_ATTRIBUTES: Final = ("_lock", "_connected", "_disconnected", "_queue", "_loop", "_client")
PAHO_METHODS: Final = ("_reset_sockets", "loop_read", "loop_write", "socket", "want_write")
PAHO_ATTRIBUTES: Final = ("_in_callback_mutex",)


def missing_private_api() -> list[str]:
    """Return the private aiomqtt and paho names MqttClient needs that are missing (call in a loop)."""
    missing = [
        f"aiomqtt.Client.{name}" for name in AIOMQTT_METHODS if not hasattr(aiomqtt.Client, name)
    ]
    try:
        client = aiomqtt.Client("localhost")
    except Exception as err:  # a changed aiomqtt may fail anywhere in its constructor
        return [*missing, f"aiomqtt.Client() cannot be built: {err!r}"]
    missing += [
        f"aiomqtt.Client().{name}" for name in AIOMQTT_ATTRIBUTES if not hasattr(client, name)
    ]
    paho = getattr(client, "_client", None)
    if paho is not None:
        missing += [
            f"paho Client().{name}"
            for name in (*PAHO_METHODS, *PAHO_ATTRIBUTES)
            if not hasattr(paho, name)
        ]
    return missing


def code_value(code: object) -> int:
    """Return the number of a paho ReasonCode or a plain int code (-1 if neither)."""
    value = getattr(code, "value", code)
    return value if isinstance(value, int) else -1


def reason_value(err: aiomqtt.MqttCodeError) -> int:
    """Return the numeric code of an aiomqtt error."""
    return code_value(err.rc)


def translate_error(err: aiomqtt.MqttError, action: str) -> KobraError:
    """Map an aiomqtt error to the package's exceptions."""
    if isinstance(err, aiomqtt.MqttCodeError) and reason_value(err) in _AUTH_FAILURE_CODES:
        return KobraAuthError(f"broker refused the credentials ({err})")
    return KobraConnectionError(f"{action} failed: {err}")


def discard(client: aiomqtt.Client) -> None:
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
        connected.exception()  # the failure set by open_client when it was cancelled
    discard(client)


def payload_bytes(payload: Any) -> bytes:
    """Return an aiomqtt payload as bytes."""
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    if payload is None:
        return b""
    return str(payload).encode()


class MqttClient(aiomqtt.Client):
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

    def take_queued(self) -> aiomqtt.Message | None:
        """Return the next queued message without waiting (None when the queue is empty)."""
        try:
            return self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return None

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
        """Set up like aiomqtt, then read up to READ_BATCH packets per readable event."""
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
                for _ in range(READ_BATCH):
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


async def open_client(
    broker: BrokerConfig,
    client_id: str,
    tls_context: ssl.SSLContext | None,
    connect_timeout: float,
    topic_filter: str,
) -> aiomqtt.Client:
    """Connect a new aiomqtt client and subscribe to topic_filter; raise Kobra errors."""
    client = MqttClient(
        broker.host,
        broker.port,
        username=broker.username or None,
        password=broker.password if broker.username else None,
        identifier=client_id,
        clean_session=True,
        keepalive=broker.keepalive,
        timeout=connect_timeout,
        tls_context=tls_context,
        max_queued_incoming_messages=MAX_QUEUED_MESSAGES,
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
        discard(client)
        raise translate_error(err, f"connecting to {broker.host}:{broker.port}") from None
    except BaseException:
        discard(client)
        raise
    try:
        granted = await client.subscribe(topic_filter, qos=0)
        if any(code_value(code) >= 0x80 for code in granted):
            raise KobraConnectionError(f"broker refused the subscription to {topic_filter}")
    except BaseException as err:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2):
                await client.__aexit__(None, None, None)
        discard(client)
        if isinstance(err, aiomqtt.MqttError):
            raise translate_error(err, "subscribing") from None
        raise
    return client
