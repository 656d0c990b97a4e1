"""Publish a burst of heavy reports as fast as possible (run as a separate process).

Usage: python heavy_publisher.py PORT TOPIC COUNT KIND [SIZE]
KIND: `values` is a report of SIZE bytes made of tiny JSON values (`[[],[],...]`);
`nested` holds just under the parser's value budget in pairs (`[[[]],[[]],...]`);
`listing` is a file listing of SIZE bytes; `phases` alternates printing/stopped print
reports (two per task id, the last one stopped). Prints the number published.
"""

from __future__ import annotations

import json
import sys
import threading

import paho.mqtt.client as mqtt


def tiny_values(size: int) -> bytes:
    """Return a report of about size bytes holding as many JSON values as fit."""
    head = b'{"type":"x","action":"y","msgid":"m","data":['
    count = max((size - len(head) - 2) // 3, 1)
    return head + b",".join([b"[]"] * count) + b"]}"


def nested(count: int = 12_400) -> bytes:
    """Return a report of count small nested arrays (two values each)."""
    head = b'{"type":"x","action":"y","msgid":"m","data":['
    return head + b",".join([b"[[]]"] * count) + b"]}"


def listing(size: int) -> bytes:
    """Return a file/listLocal report of about size bytes."""
    record = {"filename": "f000000.gcode", "size": 1873421, "timestamp": 1709800000000}
    count = max(size // (len(json.dumps(record)) + 18), 1)
    records = [{**record, "filename": f"f{i:06d}.gcode", "is_dir": False} for i in range(count)]
    body = {"type": "file", "action": "listLocal", "msgid": "m", "state": "done", "code": 200}
    return json.dumps({**body, "data": {"records": records}}, separators=(",", ":")).encode()


def phase(index: int) -> bytes:
    """Return print report index of the phase flood: printing, stopped, printing, ..."""
    body = {
        "type": "print",
        "action": "start",
        "msgid": f"m{index}",
        "state": "printing" if index % 2 == 0 else "stoped",
        "code": 200,
        "msg": "",
        "data": {"taskid": f"{index // 2:06d}", "filename": "a.gcode"},
    }
    return json.dumps(body).encode()


def main() -> None:
    """Connect, publish COUNT reports at QoS 0, wait until they are written, disconnect."""
    port, topic, count, kind = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    size = int(sys.argv[5]) if len(sys.argv) > 5 else 1024 * 1024
    makers = {"values": tiny_values, "nested": lambda _size: nested(), "listing": listing}
    payload = makers[kind](size) if kind in makers else b""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="reliabilityheavy")
    connected = threading.Event()
    client.on_connect = lambda *_args: connected.set()
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    try:
        if not connected.wait(10):
            raise SystemExit("no CONNACK")
        if kind == "phases":
            infos = [client.publish(topic, phase(i), qos=0) for i in range(count)]
        else:
            infos = [client.publish(topic, payload, qos=0) for _ in range(count)]
        infos[-1].wait_for_publish(timeout=60)
        print(sum(1 for info in infos if info.is_published()), flush=True)
    finally:
        client.disconnect()
        client.loop_stop()


if __name__ == "__main__":
    main()
