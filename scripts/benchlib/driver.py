"""Publisher process: simulated printers (and an amqtt broker) driven over stdin/stdout JSON lines.

It runs apart from Home Assistant so that publishing, the simulators and amqtt do not
share Home Assistant's CPU or event loop. Times are time.perf_counter_ns(), which on Linux is
CLOCK_MONOTONIC and so comparable between the two processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import os
import sys
import time
from typing import Any

import aiomqtt

from . import reports

_LOGGER = logging.getLogger("bench.driver")


class RawPrinter:
    """A bare publisher speaking the printer's report format (used when the simulator is absent)."""

    kind = "raw"

    def __init__(self, host: str, port: int, model_id: str, printer_id: str) -> None:
        self.model_id = model_id
        self.printer_id = printer_id
        self._client = aiomqtt.Client(
            host, port, identifier=f"bench-printer-{printer_id[:8]}", keepalive=60
        )

    async def start(self) -> None:
        """Connect."""
        await self._client.__aenter__()

    async def stop(self) -> None:
        """Disconnect."""
        with contextlib.suppress(Exception):
            await self._client.__aexit__(None, None, None)

    async def publish(self, rtype: str, payload: bytes) -> None:
        """Publish one report as the printer would."""
        await self._client.publish(
            reports.report_topic(self.model_id, self.printer_id, rtype), payload, qos=0
        )


class SimPrinter:
    """The project's KobraSimulator (answers commands); reports go out on its own connection."""

    kind = "simulator"

    def __init__(self, host: str, port: int, model_id: str, printer_id: str) -> None:
        sim_mod = importlib.import_module("kobra2_sim")
        self.model_id = model_id
        self.printer_id = printer_id
        # Periodic reports are pushed far out so that only the benchmark's reports change states.
        cfg = sim_mod.SimulatorConfig(
            host=host,
            port=port,
            model_id=model_id,
            printer_id=printer_id,
            temp_interval=1e6,
            report_interval=1e6,
            time_scale=100.0,
        )
        self.sim = sim_mod.KobraSimulator(cfg)

    async def start(self) -> None:
        """Start the simulator (it connects and announces itself)."""
        await self.sim.start()

    async def stop(self) -> None:
        """Stop the simulator."""
        with contextlib.suppress(Exception):
            await self.sim.stop()

    async def publish(self, rtype: str, payload: bytes) -> None:
        """Publish one report through the simulator's connection."""
        res = self.sim.publish_raw(f"{rtype}/report", payload)
        if asyncio.iscoroutine(res):
            await res


def _varint(n: int) -> bytes:
    """Encode an MQTT remaining length."""
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _utf8(text: str) -> bytes:
    """Encode an MQTT length-prefixed string."""
    raw = text.encode()
    return len(raw).to_bytes(2, "big") + raw


def publish_packet(topic: str, payload: bytes) -> bytes:
    """Return an MQTT 3.1.1 PUBLISH packet (QoS 0, no retain)."""
    body = _utf8(topic) + payload
    return b"\x30" + _varint(len(body)) + body


class FastPublisher:
    """A minimal MQTT 3.1.1 publisher on a raw socket: pre-encoded QoS 0 PUBLISH packets.

    Bursts need rates a Python MQTT client cannot produce on a small machine; the broker
    delivers exactly the same messages whoever publishes them.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> FastPublisher:
        """Connect (clean session, keepalive off) and wait for CONNACK."""
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        body = _utf8("MQTT") + bytes([4, 0x02, 0, 0]) + _utf8(f"bench-burst-{os.getpid()}")
        self.writer.write(b"\x10" + _varint(len(body)) + body)
        await self.writer.drain()
        connack = await asyncio.wait_for(self.reader.readexactly(4), 10)
        if connack[0] != 0x20 or connack[3] != 0:
            raise RuntimeError(f"CONNACK refused: {connack!r}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Wait until the broker has handled every PUBLISH (PINGREQ answered), then DISCONNECT."""
        if self.writer is not None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError, TimeoutError):
                # A broker answers in order, so PINGRESP means all earlier packets were taken in;
                # amqtt drops what it has not routed yet when DISCONNECT arrives.
                self.writer.write(b"\xc0\x00")
                await self.writer.drain()
                assert self.reader is not None
                await asyncio.wait_for(self.reader.readexactly(2), 30)
            with contextlib.suppress(OSError):
                self.writer.write(b"\xe0\x00")
                await self.writer.drain()
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()


def simulator_available() -> bool:
    """Return whether the project's simulator package can be imported."""
    try:
        mod = importlib.import_module("kobra2_sim")
    except ImportError:
        return False
    return hasattr(mod, "KobraSimulator") and hasattr(mod, "SimulatorConfig")


class Driver:
    """Executes requests from the benchmark process and reports command arrivals."""

    def __init__(self) -> None:
        self.printers: list[RawPrinter | SimPrinter] = []
        self.broker: Any = None
        self.listener: aiomqtt.Client | None = None
        self._listen_task: asyncio.Task[None] | None = None
        self.t0s: list[int] = []
        self.host = "127.0.0.1"
        self.port = 0
        self._out = sys.stdout

    def emit(self, obj: dict[str, Any]) -> None:
        """Write one JSON line to the benchmark process."""
        self._out.write(json.dumps(obj) + "\n")
        self._out.flush()

    async def op_amqtt(self, req: dict[str, Any]) -> dict[str, Any]:
        """Start an amqtt broker in this process."""
        from tests.helpers.brokers import AmqttBroker

        logging.getLogger("amqtt").setLevel(logging.ERROR)
        logging.getLogger("transitions").setLevel(logging.ERROR)
        self.broker = AmqttBroker()
        await self.broker.start()
        return {"port": self.broker.port}

    async def op_printers(self, req: dict[str, Any]) -> dict[str, Any]:
        """(Re)create the printers: [[model_id, printer_id], ...] on host:port."""
        await self._stop_printers()
        self.host, self.port = req["host"], req["port"]
        use_sim = req.get("sim", "auto")
        if use_sim == "auto":
            use_sim = simulator_available()
        cls = SimPrinter if use_sim else RawPrinter
        made = [cls(req["host"], req["port"], m, p) for m, p in req["printers"]]
        self.printers = made
        # Started a few at a time: 50 simultaneous CONNECTs overwhelm amqtt.
        for i in range(0, len(made), 10):
            await asyncio.gather(*(p.start() for p in made[i : i + 10]))
        return {"kind": cls.kind, "count": len(made)}

    async def op_listen(self, req: dict[str, Any]) -> dict[str, Any]:
        """Subscribe to every command topic and emit {"ev": "cmd", ...} on each arrival."""
        if self._listen_task is not None:
            return {}
        ready = asyncio.get_running_loop().create_future()
        self._listen_task = asyncio.create_task(self._listen(req["host"], req["port"], ready))
        await ready
        return {}

    async def _listen(self, host: str, port: int, ready: asyncio.Future[None]) -> None:
        """Receive commands and report their arrival times."""
        async with aiomqtt.Client(host, port, identifier="bench-cmd-listener") as client:
            await client.subscribe(reports.command_filter(), qos=0)
            ready.set_result(None)
            async for message in client.messages:
                t = time.perf_counter_ns()
                topic = str(message.topic)
                try:
                    body = json.loads(bytes(message.payload))  # type: ignore[arg-type]
                except ValueError:
                    body = {}
                self.emit(
                    {
                        "ev": "cmd",
                        "t": t,
                        "topic": topic,
                        "type": body.get("type"),
                        "action": body.get("action"),
                        "data": body.get("data"),
                    }
                )

    async def op_pub(self, req: dict[str, Any]) -> None:
        """Publish one report; its start time is kept for op_t0s (no reply: it is on the clock)."""
        printer = self.printers[req["p"]]
        rtype, payload = reports.build(req["kind"], req["seq"])
        self.t0s.append(time.perf_counter_ns())
        await printer.publish(rtype, payload)

    async def op_t0s(self, req: dict[str, Any]) -> dict[str, Any]:
        """Return and forget the publish times of op_pub."""
        out, self.t0s = self.t0s, []
        return {"t0s": out}

    async def op_burst(self, req: dict[str, Any]) -> dict[str, Any]:
        """Publish count reports of kind at rate per second on a printer's topic, paced against the clock."""
        printer = self.printers[req["p"]]
        kind, start, count, rate = req["kind"], req["start"], req["count"], float(req["rate"])
        packets = []
        for i in range(count):
            rtype, payload = reports.build(
                kind, start + i, marker=req.get("marker") if i == count - 1 else None
            )
            packets.append(
                publish_packet(
                    reports.report_topic(printer.model_id, printer.printer_id, rtype), payload
                )
            )
        period = 1e9 / rate
        async with FastPublisher(self.host, self.port) as pub:
            writer = pub.writer
            assert writer is not None
            begin = time.perf_counter_ns()
            last_t0 = begin
            sent = 0
            while sent < count:
                now = time.perf_counter_ns()
                due = min(count, int((now - begin) / period) + 1)
                if due <= sent:
                    await asyncio.sleep(max(0.0, (begin + sent * period - now) / 1e9))
                    continue
                if due == count:
                    writer.writelines(packets[sent : count - 1])
                    last_t0 = time.perf_counter_ns()
                    writer.write(packets[-1])
                else:
                    writer.writelines(packets[sent:due])
                sent = due
                if writer.transport.get_write_buffer_size() > 1 << 16:
                    await writer.drain()
                else:
                    await asyncio.sleep(0)
            await writer.drain()
            end = time.perf_counter_ns()
        return {"begin": begin, "last_t0": last_t0, "end": end}

    async def op_stop_printers(self, req: dict[str, Any]) -> dict[str, Any]:
        """Stop every printer."""
        await self._stop_printers()
        return {}

    async def _stop_printers(self) -> None:
        """Stop the printers, a few at a time."""
        printers, self.printers = self.printers, []
        for i in range(0, len(printers), 10):
            await asyncio.gather(*(p.stop() for p in printers[i : i + 10]))

    async def op_start_print(self, req: dict[str, Any]) -> dict[str, Any]:
        """Start a print on a simulator as if chosen on its touchscreen."""
        printer = self.printers[req["p"]]
        if not isinstance(printer, SimPrinter):
            raise TypeError("printing needs the simulator")
        return {"localtask": await printer.sim.start_print(req["filename"])}

    async def op_rss(self, req: dict[str, Any]) -> dict[str, Any]:
        """Return this process's resident memory in KiB (for the record)."""
        return {"rss_kib": rss_kib()}

    async def close(self) -> None:
        """Stop everything this process started."""
        await self._stop_printers()
        if self._listen_task is not None:
            self._listen_task.cancel()
            with contextlib.suppress(BaseException):
                await self._listen_task
        if self.broker is not None:
            await self.broker.stop()

    async def serve(self) -> None:
        """Read requests line by line until "quit" or end of input."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=1 << 24)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        self.emit({"ev": "ready", "pid": os.getpid(), "sim": simulator_available()})
        while line := await reader.readline():
            req = json.loads(line)
            op = req["op"]
            if op == "quit":
                break
            try:
                result = await getattr(self, f"op_{op}")(req)
            except Exception as err:
                _LOGGER.exception("op %s failed", op)
                if "id" in req:
                    self.emit({"id": req["id"], "error": f"{type(err).__name__}: {err}"})
                continue
            if "id" in req:
                self.emit({"id": req["id"], **(result or {})})
        await self.close()
        self.emit({"ev": "bye"})


def rss_kib() -> int:
    """Return the resident set size of this process in KiB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main() -> None:
    """Run the driver until its input closes."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(Driver().serve())


if __name__ == "__main__":
    main()
