"""Firmware-shaped report payloads: the one envelope builder and the samples in tests/fixtures/."""

from __future__ import annotations

from functools import cache
import json
from pathlib import Path
from typing import Any

PRINTER_ID = "9347a110c5423fe412ce45533bfc10e6"
MODEL_ID = "20021"

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# captures/: payloads byte for byte as a printer sent them (protocol doc §5.1):
#   temp_ku_init: the KU-init main.py comment, formatted with spaces;
#   temp_kugo_tabs: the KUGO 8f57c99 capture with the printer's real tab characters.
# reports/: one report body each (envelope and data), sent compact by `sample_payload`.
CAPTURES = FIXTURES / "captures"
REPORTS = FIXTURES / "reports"


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


@cache
def capture(name: str) -> bytes:
    """Return a captured payload exactly as the printer sent it (the file's final newline aside)."""
    return (CAPTURES / f"{name}.json").read_bytes().removesuffix(b"\n")


def report_body(name: str) -> dict[str, Any]:
    """Return a fresh copy of the report body in tests/fixtures/reports/<name>.json."""
    body: dict[str, Any] = json.loads((REPORTS / f"{name}.json").read_text(encoding="utf-8"))
    return body


def sample_payload(name: str) -> bytes:
    """Return the payload of a sample: a capture as sent, a report body compact."""
    if (CAPTURES / f"{name}.json").exists():
        return capture(name)
    return encode(report_body(name))


def temperature_report(nozzle: float, bed: float = 24.0) -> bytes:
    """Return a `tempature/auto` report payload with the given current temperatures."""
    data = {
        "curr_hotbed_temp": bed,
        "curr_nozzle_temp": nozzle,
        "target_hotbed_temp": 0,
        "target_nozzle_temp": 0,
    }
    return json.dumps(envelope("tempature", "auto", data=data)).encode()


def last_will(state: str) -> bytes:
    """Return a `lastWill` payload with the given state (the firmware uses online/offline)."""
    return json.dumps(envelope("lastWill", "onlineReport", state)).encode()


TEMP_KU_INIT = capture("temp_ku_init")
TEMP_KUGO_TABS = capture("temp_kugo_tabs")

# The data parts several samples share.
PRINT_DATA: dict[str, Any] = report_body("printing")["data"]
SETTINGS_DATA: dict[str, Any] = report_body("settings")["data"]
LIST_DATA: dict[str, Any] = report_body("list_local")["data"]

# Valid payloads of every report the parser models (and two it does not), keyed by a name.
SAMPLES: dict[str, tuple[str, bytes]] = {
    path.stem: (json.loads(sample_payload(path.stem))["type"], sample_payload(path.stem))
    for path in sorted([*CAPTURES.glob("*.json"), *REPORTS.glob("*.json")])
}
