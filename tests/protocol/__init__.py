"""Pure unit tests of the kobra2 protocol package, plus the sample payloads they share."""

from __future__ import annotations

import json
from typing import Any

PRINTER_ID = "9347a110c5423fe412ce45533bfc10e6"
MODEL_ID = "20021"


def report_topic(msg_type: str, model_id: str = MODEL_ID, printer_id: str = PRINTER_ID) -> str:
    """Return the topic a printer publishes a report of msg_type on."""
    return f"anycubic/anycubicCloud/v1/printer/public/{model_id}/{printer_id}/{msg_type}/report"


def envelope(
    msg_type: str,
    action: str,
    state: str = "done",
    data: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    """Return a report body with the full envelope, in the firmware's key order."""
    body: dict[str, Any] = {
        "type": msg_type,
        "action": action,
        "msgid": "3b0f6a8e-2a51-4e0e-8d0e-7c1f0b7a9c55",
        "state": state,
        "timestamp": 1709900123456,
        "code": 200,
        "msg": "",
        "data": data,
    }
    body.update(extra)
    return body


def encode(body: Any) -> bytes:
    """Serialise a body as compact JSON bytes."""
    return json.dumps(body, separators=(",", ":")).encode()


# [raw] KU-init main.py comment (protocol doc §5.1), formatted with spaces.
TEMP_KU_INIT = b"""{
  "type": "tempature",
  "action": "auto",
  "msgid": "c548672e-7b80-4759-ad1b-96078491fcfb",
  "state": "done",
  "timestamp": 1705245340137,
  "code": 200,
  "msg": "",
  "data": {
    "curr_hotbed_temp": 20,
    "curr_nozzle_temp": 20,
    "target_hotbed_temp": 0,
    "target_nozzle_temp": 0
  }
}"""

# [raw] KUGO 8f57c99 capture (protocol doc §5.1) with the printer's real tab characters.
TEMP_KUGO_TABS = (
    b"{\n"
    b'\t"type":\t"tempature",\n'
    b'\t"action":\t"auto",\n'
    b'\t"msgid":\t"77350b05-e3d9-4a10-9c12-502a439d7c3d",\n'
    b'\t"state":\t"done",\n'
    b'\t"timestamp":\t1709681948443,\n'
    b'\t"code":\t200,\n'
    b'\t"msg":\t"",\n'
    b'\t"data":\t{\n'
    b'\t\t"curr_hotbed_temp":\t27,\n'
    b'\t\t"curr_nozzle_temp":\t27,\n'
    b'\t\t"target_hotbed_temp":\t0,\n'
    b'\t\t"target_nozzle_temp":\t0\n'
    b"\t}\n"
    b"}"
)

PRINT_DATA = {
    "taskid": "482913",
    "localtask": "",
    "filename": "cube.gcode",
    "progress": 42,
    "print_time": 35,
    "remain_time": 0,
    "supplies_usage": 1234,
    "curr_layer": 0,
    "total_layers": -1,
}

SETTINGS_DATA = {
    "taskid": "0",
    "localtask": "",
    "curr_hotbed_temp": 60,
    "curr_nozzle_temp": 210,
    "settings": {
        "target_nozzle_temp": 210,
        "target_hotbed_temp": 60,
        "fan_speed_pct": 100,
        "print_speed_mode": 2,
        "z_comp": 0.0,
    },
}

LIST_DATA = {
    "list_mode": 1,
    "records": [
        {"filename": "cube.gcode", "size": 1873421, "timestamp": 1709800000000, "is_dir": False},
        {"filename": "parts", "size": 0, "timestamp": 1709700000000, "is_dir": True},
    ],
}

# Valid payloads of every report the parser models (and two it does not), keyed by a name.
SAMPLES: dict[str, tuple[str, bytes]] = {
    "temp_ku_init": ("tempature", TEMP_KU_INIT),
    "temp_kugo_tabs": ("tempature", TEMP_KUGO_TABS),
    "fan": ("fan", encode(envelope("fan", "auto", data={"fan_speed_pct": 100}))),
    "status_free": ("status", encode(envelope("status", "workReport", "free"))),
    "status_busy": ("status", encode(envelope("status", "workReport", "busy"))),
    "online": ("lastWill", encode(envelope("lastWill", "onlineReport", "online"))),
    "offline": ("lastWill", encode(envelope("lastWill", "onlineReport", "offline"))),
    "printing": ("print", encode(envelope("print", "start", "printing", PRINT_DATA))),
    "downloading": (
        "print",
        encode(envelope("print", "start", "downloading", {"taskid": "482913", "progress": 37})),
    ),
    "stoped": ("print", encode(envelope("print", "stop", "stoped", PRINT_DATA))),
    "resumed": ("print", encode(envelope("print", "resume", "resumed", {"taskid": "482913"}))),
    "settings": ("print", encode(envelope("print", "update", "updated", SETTINGS_DATA))),
    "slice_param": (
        "print",
        encode(
            envelope(
                "print",
                "getSliceParam",
                data={"taskid": "482913", "slice_param": json.dumps({"layers": 120})},
            )
        ),
    ),
    "list_local": ("file", encode(envelope("file", "listLocal", data=LIST_DATA))),
    "list_udisk": ("file", encode(envelope("file", "listUdisk", data=LIST_DATA))),
    "delete_local": (
        "file",
        encode(envelope("file", "deleteLocal", "success", {"filename": "cube.gcode"})),
    ),
    "firmware": (
        "ota",
        encode(envelope("ota", "reportVersion", data={"firmware_version": "3.1.2"})),
    ),
    "ota_update": ("ota", encode(envelope("ota", "update", "downloading", {"progress": 12}))),
    "peripherie": (
        "peripherie",
        encode(envelope("peripherie", "query", data={"camera": False, "udisk": True})),
    ),
    "cloud_recommend": ("file", encode(envelope("file", "cloudRecommendList", data={}))),
}
