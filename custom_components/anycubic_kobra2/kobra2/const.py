"""Constants of the Kobra 2 MQTT protocol: topics, identifiers, model limits."""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import Final

TOPIC_PREFIX: Final = "anycubic/anycubicCloud/v1"
REPORT_SUFFIX: Final = "report"
DISCOVERY_TOPIC: Final = f"{TOPIC_PREFIX}/printer/public/+/+/#"

MODEL_NAMES: Final[dict[str, str]] = {
    "20021": "Kobra 2 Pro",
    "20022": "Kobra 2 Plus",
    "20023": "Kobra 2 Max",
}

PRINTER_ID_RE: Final = re.compile(r"[0-9a-fA-F]{32}")
# Model ids are numeric on every known printer; letters, "_" and "-" are allowed so that an
# unknown model can still be discovered, while MQTT wildcards and "/" can never get in.
MODEL_ID_RE: Final = re.compile(r"[0-9A-Za-z_-]{1,32}")

# Nesting allowed in a report, far above anything a printer sends (size bounds: limits.py).
MAX_JSON_DEPTH: Final = 32

# Message types as the firmware spells them ("tempature" is not a typo here).
TYPE_TEMPERATURE: Final = "tempature"
TYPE_STATUS: Final = "status"
TYPE_PRINT: Final = "print"
TYPE_FILE: Final = "file"
TYPE_FAN: Final = "fan"
TYPE_OTA: Final = "ota"
TYPE_LAST_WILL: Final = "lastWill"
TYPE_VIDEO: Final = "video"

# Task ids that mean "no particular job" in commands and replies.
NO_TASK_IDS: Final = frozenset({"", "0", "-1"})


@dataclass(frozen=True, slots=True)
class ModelLimits:
    """Physical limits of one printer model."""

    max_nozzle_temp: int
    max_bed_temp: int
    max_fan_pct: int = 100
    min_z_offset: float = -5.0
    max_z_offset: float = 5.0


MODEL_LIMITS: Final[dict[str, ModelLimits]] = {
    "20021": ModelLimits(260, 110),  # Kobra 2 Pro
    "20022": ModelLimits(260, 110),  # Kobra 2 Plus
    "20023": ModelLimits(260, 110),  # Kobra 2 Max
}

# Used for model ids the integration does not know; the heater limits are shared by the family.
DEFAULT_MODEL_LIMITS: Final = ModelLimits(260, 110)


def model_limits(model_id: str) -> ModelLimits:
    """Return the limits of a model, or the family defaults for an unknown one."""
    return MODEL_LIMITS.get(model_id, DEFAULT_MODEL_LIMITS)


def valid_printer_id(value: object) -> bool:
    """Return True when value is a 32-character hex printer id (any case)."""
    return isinstance(value, str) and PRINTER_ID_RE.fullmatch(value) is not None


def valid_model_id(value: object) -> bool:
    """Return True when value can be used as the model segment of a topic."""
    return isinstance(value, str) and MODEL_ID_RE.fullmatch(value) is not None


def normalize_printer_id(value: str) -> str:
    """Return the printer id in lowercase; raise ValueError when it is not 32 hex digits."""
    if not valid_printer_id(value):
        raise ValueError("printer id must be 32 hexadecimal characters")
    return value.lower()


def _checked_ids(model_id: str, printer_id: str) -> tuple[str, str]:
    """Validate both ids before they go into a topic, so no wildcard can be injected."""
    if not valid_model_id(model_id):
        raise ValueError("model id must be 1-32 characters of [0-9A-Za-z_-]")
    return model_id, normalize_printer_id(printer_id)


def report_topic_filter(model_id: str, printer_id: str) -> str:
    """Return the subscription filter for every report of one printer."""
    model, printer = _checked_ids(model_id, printer_id)
    return f"{TOPIC_PREFIX}/printer/public/{model}/{printer}/#"


def command_base(model_id: str, printer_id: str) -> str:
    """Return the topic prefix under which commands for one printer are published."""
    model, printer = _checked_ids(model_id, printer_id)
    return f"{TOPIC_PREFIX}/server/printer/{model}/{printer}"
