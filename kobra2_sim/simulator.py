"""A simulated Kobra 2 on MQTT: connects like the firmware, answers commands, publishes reports."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
import contextlib
from dataclasses import dataclass
import hashlib
import json
import logging
import os
import socket
import ssl
import tempfile
import time
from typing import Any
from urllib.parse import urlsplit
import uuid

import aiohttp
import aiomqtt

from .config import SimulatorConfig, firmware_is_strict
from .jsonfmt import dumps
from .machine import Job, Machine, Outgoing
from .storage import LOCAL, USB, FileStore

_LOGGER = logging.getLogger(__name__)

_FILE_STORAGES = {
    "listLocal": LOCAL,
    "listUdisk": USB,
    "deleteLocal": LOCAL,
    "deleteUdisk": USB,
}


@dataclass(frozen=True, slots=True)
class ReceivedCommand:
    """A message that arrived on the printer's command topics (handled=False: ignored)."""

    type: str
    action: str
    data: Any
    topic: str
    handled: bool
    msgid: str | None = None
    payload: bytes = b""
    seq: int = 0


@dataclass(frozen=True, slots=True)
class SimulatorState:
    """A snapshot of the simulated printer, for assertions."""

    connected: bool
    status: str
    print_state: str | None
    taskid: str | None
    localtask: str | None
    filename: str | None
    storage: str | None
    progress: int | None
    nozzle: float
    bed: float
    target_nozzle: int
    target_bed: int
    fan_speed_pct: int
    print_speed_mode: int
    z_comp: float
    firmware: str
    ota_state: str | None
    usb_present: bool
    other_work: bool


def _payload_bytes(payload: Any) -> bytes:
    """Turn an aiomqtt payload (bytes, str or a number) into bytes."""
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    if payload is None:
        return b""
    return str(payload).encode()


def _text(value: Any) -> str | None:
    """Return a task id or similar as string (numbers accepted), None when absent or odd."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def build_ssl_context(config: SimulatorConfig) -> ssl.SSLContext:
    """Blocking: the TLS context the printer would use (run it in an executor)."""
    if config.ca_data:
        context = ssl.create_default_context(cadata=config.ca_data)
        # Python 3.13 turns on strict X.509 checks, which refuse the CAs the printer tools
        # make (no key usage, no authority key identifier); the chain is still verified.
        context.verify_flags &= ~ssl.VERIFY_X509_STRICT
    else:
        context = ssl.create_default_context()
    # The printer ignores the broker's host name: KU's "localhost" certificate works
    # for the sslip.io name the firmware is patched with.
    context.check_hostname = False
    if not config.tls_verify:
        context.verify_mode = ssl.CERT_NONE
    if config.client_cert and config.client_key:
        with tempfile.TemporaryDirectory() as folder:
            cert = os.path.join(folder, "client.crt")
            key = os.path.join(folder, "client.key")
            for path, text in ((cert, config.client_cert), (key, config.client_key)):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as handle:
                    handle.write(text)
            context.load_cert_chain(cert, key)
    return context


class _SimClient(aiomqtt.Client):
    """aiomqtt's client, but a write watch is only set on a socket that still lives.

    aiomqtt schedules add_writer from paho's thread; when the link closes in between, the loop
    gets a dead file descriptor ("Bad file descriptor" in the test's event loop).
    """

    def _on_socket_register_write(self, client: Any, userdata: Any, sock: Any) -> None:
        """Watch the socket for writability if it is still the client's live socket."""

        def on_writable() -> None:
            """Let paho write; a failure means the link broke."""
            try:
                client.loop_write()
            except Exception as exc:  # any error ends this connection
                if not self._disconnected.done():
                    self._disconnected.set_exception(exc)

        def register() -> None:
            """Add the writer unless the socket was closed meanwhile."""
            if client.socket() is sock and sock.fileno() >= 0:
                self._loop.add_writer(sock.fileno(), on_writable)

        self._loop.call_soon_threadsafe(register)


class KobraSimulator:
    """A Kobra 2 Pro/Plus/Max that speaks the printer side of the MQTT protocol."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.machine = Machine(self.config)
        self.received: deque[ReceivedCommand] = deque(maxlen=2000)
        self.published: deque[tuple[str, bytes]] = deque(maxlen=2000)
        self._client: aiomqtt.Client | None = None
        self._connected = False
        self._stopping = False
        self._crashed = False
        self._run_task: asyncio.Task[None] | None = None
        self._tick_task: asyncio.Task[None] | None = None
        self._download_task: asyncio.Task[None] | None = None
        self._ssl_context: ssl.SSLContext | None = None
        self._send_lock = asyncio.Lock()
        self._seq = 0
        self._waited: dict[tuple[str, str], int] = {}
        self._waiters: list[asyncio.Future[None]] = []
        self._handlers: dict[tuple[str, str], Callable[[Mapping[str, Any], str | None], Any]] = {
            ("status", "query"): self._cmd_status_query,
            ("print", "query"): self._cmd_print_query,
            ("print", "start"): self._cmd_print_start,
            ("print", "pause"): self._cmd_pause,
            ("print", "resume"): self._cmd_resume,
            ("print", "stop"): self._cmd_stop,
            ("print", "cancel"): self._cmd_cancel,
            ("print", "update"): self._cmd_update,
            ("print", "getSliceParam"): self._cmd_slice_param,
            ("print", "localtasktrans"): self._cmd_local_task_trans,
            ("file", "listLocal"): self._cmd_list_files,
            ("file", "listUdisk"): self._cmd_list_files,
            ("file", "deleteLocal"): self._cmd_delete_file,
            ("file", "deleteUdisk"): self._cmd_delete_file,
            ("file", "cloudRecommendList"): self._cmd_cloud_recommend,
            ("ota", "reportVersion"): self._cmd_report_version,
            ("ota", "update"): self._cmd_ota_update,
            ("video", "startCapture"): self._cmd_start_capture,
        }

    # ---- public API ----------------------------------------------------------------

    @property
    def model_id(self) -> str:
        """Model id used in the topics."""
        return self.config.model_id

    @property
    def printer_id(self) -> str:
        """Printer id used in the topics."""
        return self.config.printer_id

    @property
    def report_base(self) -> str:
        """`anycubic/anycubicCloud/v1/printer/public/<model>/<id>`."""
        return self.config.report_base

    @property
    def command_base(self) -> str:
        """`anycubic/anycubicCloud/v1/server/printer/<model>/<id>`."""
        return self.config.command_base

    @property
    def strict_topics(self) -> bool:
        """Whether commands count only on `.../<id>/<type>` (by the firmware unless overridden)."""
        if self.config.strict_topics or self.config.permissive_topics:
            return self.config.strict_topics
        # The version now running: an OTA update from 3.0.x to 3.1.x makes the printer strict.
        return firmware_is_strict(self.machine.firmware)

    @property
    def connected(self) -> bool:
        """True while the MQTT session is up."""
        return self._connected

    @property
    def local_files(self) -> FileStore:
        """Internal storage (live: tests may add or remove entries)."""
        return self.machine.local

    @property
    def usb_files(self) -> FileStore:
        """USB stick (live)."""
        return self.machine.usb

    @property
    def usb_present(self) -> bool:
        """Whether a USB stick is inserted."""
        return self.machine.usb_present

    @usb_present.setter
    def usb_present(self, present: bool) -> None:
        self.machine.usb_present = present

    @property
    def state(self) -> SimulatorState:
        """A snapshot of everything observable."""
        m = self.machine
        job = m.job if m.job is not None else m.last_job
        return SimulatorState(
            connected=self._connected,
            status=m.status,
            print_state=job.state if job else None,
            taskid=job.taskid if job else None,
            localtask=job.localtask if job else None,
            filename=job.filename if job else None,
            storage=job.storage if job else None,
            progress=job.progress if job else None,
            nozzle=m.nozzle,
            bed=m.bed,
            target_nozzle=m.target_nozzle,
            target_bed=m.target_bed,
            fan_speed_pct=m.fan_speed_pct,
            print_speed_mode=m.print_speed_mode,
            z_comp=m.z_comp,
            firmware=m.firmware,
            ota_state=m.ota.state if m.ota else None,
            usb_present=m.usb_present,
            other_work=m.other_work,
        )

    async def start(self) -> None:
        """Connect (raising ConnectionError if the first attempt fails) and begin reporting."""
        if self._run_task is not None and not self._run_task.done():
            raise RuntimeError("simulator already running")
        await self._cancel_tasks()
        self._stopping = False
        self._crashed = False
        loop = asyncio.get_running_loop()
        if self.config.tls and self._ssl_context is None:
            self._ssl_context = await loop.run_in_executor(None, build_ssl_context, self.config)
        first: asyncio.Future[None] = loop.create_future()
        self._run_task = loop.create_task(self._run(first), name="kobra2-sim-mqtt")
        try:
            await first
        except BaseException:
            await self.stop()
            raise
        self._tick_task = loop.create_task(self._ticker(), name="kobra2-sim-tick")

    async def stop(self) -> None:
        """Disconnect cleanly (DISCONNECT is sent, so the will is not published)."""
        self._stopping = True
        await self._cancel_tasks()
        self._connected = False

    def crash(self) -> None:
        """Drop the TCP connection without DISCONNECT, as on power loss: the broker sends the will."""
        self._crashed = True
        client = self._client
        if client is not None:
            # Reaching into aiomqtt/paho is the only way to drop the link without DISCONNECT.
            sock = client._client.socket()
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            if not client._disconnected.done():
                client._disconnected.set_result(None)
        self._connected = False
        for task in (self._tick_task, self._download_task, self._run_task):
            if task is not None:
                task.cancel()

    async def wait_for_command(
        self,
        type: str,
        action: str,
        timeout: float = 5.0,  # noqa: ASYNC109 - the agreed test API takes a timeout
    ) -> ReceivedCommand:
        """Return the next (type, action) command not returned before; TimeoutError after timeout."""
        key = (type, action)
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout):
            while True:
                after = self._waited.get(key, 0)
                for command in self.received:
                    if command.type == type and command.action == action and command.seq > after:
                        self._waited[key] = command.seq
                        return command
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.append(waiter)
                try:
                    await waiter
                finally:
                    with contextlib.suppress(ValueError):
                        self._waiters.remove(waiter)

    async def publish_raw(self, suffix: str, payload: bytes) -> None:
        """Publish any bytes on `<report base>/<suffix>` (for malformed-input tests)."""
        async with self._send_lock:
            await self._publish(f"{self.report_base}/{suffix.lstrip('/')}", payload)

    async def start_print(self, filename: str, storage: str = LOCAL) -> str:
        """Start a print as if chosen on the touchscreen; returns its `localtask` id."""
        out, job = self.machine.start_from_screen(filename, str(storage))
        await self._send(out)
        if job is None:
            raise RuntimeError(out[0].msg if out else "print refused")
        return job.localtask

    async def set_other_work(self, active: bool) -> None:
        """Begin or end non-print work such as levelling: busy without print reports."""
        self.machine.other_work = active
        out: list[Outgoing] = []
        if self.machine.status != self.machine._reported_status:
            out.append(self.machine.status_report())
        await self._send(out)

    # ---- connection ----------------------------------------------------------------

    def _new_client(self) -> aiomqtt.Client:
        """Create a fresh aiomqtt client with the offline will registered."""
        will = aiomqtt.Will(
            f"{self.report_base}/lastWill/report",
            # Compact: amqtt did not deliver the tab-formatted will (test_init's last-will test).
            self._encode(self.machine.online_report(False), compact=True),
            qos=0,
            retain=False,
        )
        return _SimClient(
            self.config.host,
            self.config.port,
            username=self.config.username,
            password=self.config.password,
            identifier=self.config.client_id,
            will=will,
            keepalive=self.config.keepalive,
            tls_context=self._ssl_context,
            clean_session=True,
            logger=_LOGGER,
        )

    async def _run(self, first: asyncio.Future[None]) -> None:
        """Stay connected (reconnecting unless told not to) and dispatch commands."""
        while True:
            client = self._new_client()
            self._client = client
            try:
                async with client:
                    await client.subscribe(f"{self.command_base}/#")
                    self._connected = True
                    await self._announce()
                    if not first.done():
                        first.set_result(None)
                    async for message in client.messages:
                        await self._dispatch(str(message.topic), _payload_bytes(message.payload))
            except aiomqtt.MqttError as err:
                if not first.done():
                    first.set_exception(ConnectionError(f"cannot connect to broker: {err}"))
                    return
                _LOGGER.debug("simulator %s lost the broker: %s", self.printer_id, err)
            finally:
                self._connected = False
                self._client = None
            if self._stopping or self._crashed or not self.config.reconnect:
                return
            await asyncio.sleep(self.config.reconnect_delay)

    async def _announce(self) -> None:
        """Publish what the firmware sends right after connecting."""
        await self._send(
            [
                self.machine.online_report(True),
                self.machine.version_report(),
                self.machine.status_report(),
            ]
        )

    async def _cancel_tasks(self) -> None:
        """Cancel and await the background tasks (the MQTT one last, to disconnect)."""
        for name in ("_tick_task", "_download_task", "_run_task"):
            task: asyncio.Task[None] | None = getattr(self, name)
            setattr(self, name, None)
            if task is None:
                continue
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError, ConnectionError):
                await task

    async def _ticker(self) -> None:
        """Advance simulated time; publish temperatures and print progress on their timers."""
        loop = asyncio.get_running_loop()
        last = loop.time()
        next_temp = last
        next_report = last + self.config.report_interval
        while True:
            await asyncio.sleep(self.config.tick_interval)
            now = loop.time()
            try:
                out = self.machine.advance((now - last) * self.config.time_scale)
            except Exception:
                _LOGGER.exception("simulator state machine failed")
                out = []
            last = now
            if now >= next_temp:
                out.append(self.machine.temperature_report())
                next_temp = now + self.config.temp_interval
            if now >= next_report:
                report = self.machine.progress_report()
                if report is not None:
                    out.append(report)
                next_report = now + self.config.report_interval
            await self._send(out)

    # ---- publishing ----------------------------------------------------------------

    def _encode(self, item: Outgoing, *, compact: bool = False) -> bytes:
        """Serialise the full envelope in the firmware's key order."""
        msgid = item.reply_to if self.config.echo_msgid and item.reply_to else str(uuid.uuid4())
        envelope = {
            "type": item.type,
            "action": item.action,
            "msgid": msgid,
            "state": item.state,
            "timestamp": int(time.time() * 1000),
            "code": 200,
            "msg": item.msg,
            "data": item.data,
        }
        return dumps(
            envelope,
            pretty=not (compact or self.config.compact_json),
            escape_slashes=self.config.escape_slashes,
        )

    async def _send(self, items: Iterable[Outgoing]) -> None:
        """Publish reports in order; the lock keeps batches from interleaving."""
        # Command handlers and the ticker both publish; without the (FIFO) lock a later
        # "preheating" could overtake an earlier "checking" while a publish awaits.
        async with self._send_lock:
            for item in items:
                await self._publish(f"{self.report_base}/{item.type}/report", self._encode(item))

    async def _publish(self, topic: str, payload: bytes) -> None:
        """Publish at QoS 0 without retain; silently dropped while offline, like the printer."""
        client = self._client
        if client is None or not self._connected:
            return
        try:
            await client.publish(topic, payload, qos=0, retain=False)
        except aiomqtt.MqttError as err:
            _LOGGER.debug("simulator publish to %s failed: %s", topic, err)
            return
        self.published.append((topic, payload))

    # ---- commands ------------------------------------------------------------------

    def _record(
        self,
        topic: str,
        raw: bytes,
        *,
        type_: str = "",
        action: str = "",
        data: Any = None,
        handled: bool = False,
        msgid: Any = None,
    ) -> None:
        """Remember a command and wake wait_for_command callers."""
        self._seq += 1
        self.received.append(
            ReceivedCommand(
                type_,
                action,
                data,
                topic,
                handled,
                msgid if isinstance(msgid, str) else None,
                raw,
                self._seq,
            )
        )
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _dispatch(self, topic: str, raw: bytes) -> None:
        """Handle one command; a bug in a handler is logged and must not kill the connection."""
        try:
            await self._on_message(topic, raw)
        except aiomqtt.MqttError:
            raise
        except Exception:
            _LOGGER.exception("simulator failed to handle a command on %s", topic)

    async def _on_message(self, topic: str, raw: bytes) -> None:
        """Route one command on its payload's type and action."""
        suffix = topic[len(self.command_base) :].strip("/")
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("type"), str)
            or not isinstance(body.get("action"), str)
        ):
            _LOGGER.debug("simulator ignores a malformed command on %s", topic)
            self._record(topic, raw)
            return
        type_, action = body["type"], body["action"]
        data = body.get("data")
        msgid = body.get("msgid")
        # Firmware 3.1.x only acts on `.../<id>/<type>`; older ones route on the payload.
        if suffix != type_ and self.strict_topics:
            self._record(topic, raw, type_=type_, action=action, data=data, msgid=msgid)
            return
        handler = self._handlers.get((type_, action))
        if handler is None and type_ == "cloudRecommendList":
            handler = self._cmd_cloud_recommend
        self._record(
            topic,
            raw,
            type_=type_,
            action=action,
            data=data,
            handled=handler is not None,
            msgid=msgid,
        )
        if handler is None:
            _LOGGER.debug("simulator ignores unknown command %s/%s", type_, action)
            return
        args: dict[str, Any] = {k: v for k, v in body.items() if k not in ("data", "type")}
        if isinstance(data, Mapping):
            args.update(data)
        args["_action"] = action
        reply_to = msgid if isinstance(msgid, str) else None
        result = handler(args, reply_to)
        if isinstance(result, Awaitable):
            result = await result
        await self._send(result)

    def _cmd_status_query(self, args: Mapping[str, Any], reply_to: str | None) -> list[Outgoing]:
        """`status/query` → `status/workReport`."""
        return [self.machine.status_report(reply_to)]

    def _cmd_print_query(self, args: Mapping[str, Any], reply_to: str | None) -> list[Outgoing]:
        """`print/query` → the current job state."""
        return self.machine.query_print(reply_to)

    async def _cmd_print_start(
        self, args: Mapping[str, Any], reply_to: str | None
    ) -> list[Outgoing]:
        """`print/start` from internal storage (filetype 1), USB (2) or a URL (0)."""
        taskid = _text(args.get("taskid")) or "0"
        filetype = args.get("filetype")
        url = args.get("url")
        filename = args.get("filename")
        if filetype == 0 or (filetype is None and isinstance(url, str)):
            return await self._start_url(args, taskid, reply_to)
        if not isinstance(filename, str) or not filename:
            return self.machine.refuse_start("missing filename", taskid, reply_to)
        folder = args.get("filepath")
        if not isinstance(folder, str):
            folder = args.get("path") if isinstance(args.get("path"), str) else "/"
        return self.machine.start_file(
            taskid=taskid,
            filename=filename,
            folder=str(folder),
            storage=USB if filetype == 2 else LOCAL,
            reply_to=reply_to,
        )

    async def _start_url(
        self, args: Mapping[str, Any], taskid: str, reply_to: str | None
    ) -> list[Outgoing]:
        """Accept a URL print and download it in the background."""
        url = args.get("url")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            return self.machine.refuse_start("invalid url", taskid, reply_to)
        md5 = args.get("md5")
        size = args.get("filesize")
        expected_size = size if isinstance(size, int) and not isinstance(size, bool) else None
        filename = args.get("filename")
        if not isinstance(filename, str) or not filename:
            filename = urlsplit(url).path.rsplit("/", 1)[-1] or "download.gcode"
        out, job = self.machine.start_download(
            taskid=taskid, filename=filename, filesize=expected_size, reply_to=reply_to
        )
        if job is not None:
            self._download_task = asyncio.get_running_loop().create_task(
                self._download(job, url, md5 if isinstance(md5, str) else None, expected_size),
                name="kobra2-sim-download",
            )
        return out

    async def _download(self, job: Job, url: str, md5: str | None, size: int | None) -> None:
        """Fetch the file, reporting progress; then let the machine check md5 and size."""
        loop = asyncio.get_running_loop()
        digest = hashlib.md5(usedforsecurity=False)
        received = 0
        try:
            timeout = aiohttp.ClientTimeout(total=self.config.download_timeout)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(url) as response,
            ):
                if response.status != 200:
                    await self._send(
                        self.machine.download_failed(
                            job, f"download failed: HTTP {response.status}"
                        )
                    )
                    return
                total = size or response.content_length or 0
                last_report = loop.time()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    received += len(chunk)
                    if received > self.config.download_limit:
                        await self._send(self.machine.download_failed(job, "file too large"))
                        return
                    digest.update(chunk)
                    now = loop.time()
                    if total and now - last_report >= self.config.report_interval:
                        last_report = now
                        percent = min(99, received * 100 // total)
                        await self._send(self.machine.download_progress(job, percent))
        except (aiohttp.ClientError, TimeoutError) as err:
            reason = "download timed out" if isinstance(err, TimeoutError) else "download failed"
            await self._send(self.machine.download_failed(job, f"{reason}: {type(err).__name__}"))
            return
        problem = ""
        if size is not None and received != size:
            problem = f"file size mismatch: expected {size}, got {received}"
        elif md5 and digest.hexdigest() != md5.strip().lower():
            problem = "md5 mismatch"
        await self._send(
            self.machine.download_done(job, size=received, md5=digest.hexdigest(), problem=problem)
        )

    def _cmd_pause(self, args: Mapping[str, Any], reply_to: str | None) -> list[Outgoing]:
        """`print/pause`."""
        return self.machine.pause(args.get("taskid"), reply_to)

    def _cmd_resume(self, args: Mapping[str, Any], reply_to: str | None) -> list[Outgoing]:
        """`print/resume`."""
        return self.machine.resume(args.get("taskid"), reply_to)

    def _cmd_stop(self, args: Mapping[str, Any], reply_to: str | None) -> list[Outgoing]:
        """`print/stop`; a running download is abandoned."""
        out = self.machine.stop("stop", args.get("taskid"), reply_to)
        self._abandon_download()
        return out

    def _cmd_cancel(self, args: Mapping[str, Any], reply_to: str | None) -> list[Outgoing]:
        """`print/cancel`: treated like stop (the difference is undocumented)."""
        out = self.machine.stop("cancel", args.get("taskid"), reply_to)
        self._abandon_download()
        return out

    def _abandon_download(self) -> None:
        """Cancel the download task once its job is no longer downloading."""
        task = self._download_task
        job = self.machine.job
        if task is not None and (job is None or job.state != "downloading"):
            task.cancel()
            self._download_task = None

    def _cmd_update(self, args: Mapping[str, Any], reply_to: str | None) -> list[Outgoing]:
        """`print/update` with settings, or without as a snapshot query."""
        return self.machine.update(args.get("taskid"), args.get("settings"), reply_to)

    def _cmd_slice_param(self, args: Mapping[str, Any], reply_to: str | None) -> list[Outgoing]:
        """`print/getSliceParam`."""
        return self.machine.slice_param(args.get("taskid"), reply_to)

    def _cmd_local_task_trans(
        self, args: Mapping[str, Any], reply_to: str | None
    ) -> list[Outgoing]:
        """`print/localtasktrans`."""
        return self.machine.local_task_trans(args.get("taskid"), args.get("localtask"), reply_to)

    def _cmd_list_files(self, args: Mapping[str, Any], reply_to: str | None) -> list[Outgoing]:
        """`file/listLocal|listUdisk`; `path` (in data or top level) picks the folder."""
        action = str(args["_action"])
        path = args.get("path")
        return self.machine.list_files(
            _FILE_STORAGES[action], path if isinstance(path, str) else "/", action, reply_to
        )

    def _cmd_delete_file(self, args: Mapping[str, Any], reply_to: str | None) -> list[Outgoing]:
        """`file/deleteLocal|deleteUdisk` with `path` (folder) and `filename`."""
        action = str(args["_action"])
        path = args.get("path")
        filename = args.get("filename")
        folder = path if isinstance(path, str) else "/"
        if not isinstance(filename, str) or not filename:
            folder, filename = "/", folder
        return self.machine.delete_file(_FILE_STORAGES[action], folder, filename, action, reply_to)

    def _cmd_cloud_recommend(self, args: Mapping[str, Any], reply_to: str | None) -> list[Outgoing]:
        """`cloudRecommendList`: meaningless without the cloud, answered with an empty list."""
        return [Outgoing("file", "cloudRecommendList", "done", {"records": []}, reply_to=reply_to)]

    def _cmd_report_version(self, args: Mapping[str, Any], reply_to: str | None) -> list[Outgoing]:
        """`ota/reportVersion` → the running version."""
        return [self.machine.version_report(reply_to)]

    def _cmd_ota_update(self, args: Mapping[str, Any], reply_to: str | None) -> list[Outgoing]:
        """`ota/update` → start, downloading, updating, new version."""
        return self.machine.ota_update(args.get("firmware_version"), reply_to)

    def _cmd_start_capture(self, args: Mapping[str, Any], reply_to: str | None) -> list[Outgoing]:
        """`video/startCapture`: a Kobra 2 has no camera, so it fails."""
        return [self.machine.failure("video", "startCapture", "no camera", None, reply_to)]
