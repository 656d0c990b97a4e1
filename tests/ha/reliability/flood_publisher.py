"""Publish a burst of temperature reports as fast as possible (run as a separate process).

Usage: python flood_publisher.py PORT TOPIC COUNT
Report i carries the nozzle temperature nozzle_for(i); the last one is unique. Prints the
number published, after all of them were handed to the broker.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import paho.mqtt.client as mqtt


def nozzle_for(index: int, count: int) -> float:
    """Return the nozzle temperature of report index (the last one stands out)."""
    return 250.5 if index == count - 1 else 20.0 + (index % 200)


def payload(index: int, count: int) -> bytes:
    """Return the firmware-style report for index."""
    return json.dumps(
        {
            "type": "tempature",
            "action": "auto",
            "msgid": f"00000000-0000-4000-8000-{index:012d}",
            "state": "done",
            "timestamp": int(time.time() * 1000),
            "code": 200,
            "msg": "",
            "data": {
                "curr_hotbed_temp": 60,
                "curr_nozzle_temp": nozzle_for(index, count),
                "target_hotbed_temp": 60,
                "target_nozzle_temp": 210,
            },
        }
    ).encode()


def main() -> None:
    """Connect, publish COUNT reports at QoS 0, wait until they are written, disconnect."""
    port, topic, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="reliabilityflood")
    connected = threading.Event()
    client.on_connect = lambda *_args: connected.set()
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    try:
        if not connected.wait(10):
            raise SystemExit("no CONNACK")
        infos = [client.publish(topic, payload(i, count), qos=0) for i in range(count)]
        infos[-1].wait_for_publish(timeout=30)
        print(sum(1 for info in infos if info.is_published()), flush=True)
    finally:
        client.disconnect()
        client.loop_stop()


if __name__ == "__main__":
    main()
