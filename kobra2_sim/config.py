"""Settings of the printer simulator, including the protocol details the sources leave open."""

from __future__ import annotations

from dataclasses import dataclass, field
import re
import secrets

from .storage import SimFile

# Written out here instead of imported from kobra2.const on purpose: the simulator is an
# independent implementation of the protocol, so tests against it are not circular.
TOPIC_ROOT = "anycubic/anycubicCloud/v1"
_PRINTER_ID_RE = re.compile(r"^[0-9a-f]{32}$")
_MODEL_ID_RE = re.compile(r"^[0-9]{1,10}$")
_VERSION_PART_RE = re.compile(r"^[0-9]+")
# From this firmware on the printer acts only on `.../<printer_id>/<type>` (reference §2.2).
STRICT_TOPICS_SINCE = (3, 1, 0)


def new_printer_id() -> str:
    """Return a random 32-character lowercase hex printer id."""
    return secrets.token_hex(16)


def firmware_is_strict(version: str) -> bool:
    """Tell whether a firmware version only obeys `.../<type>` command topics (3.1.0 and later).

    The numeric prefix of each dotted part counts ("3.1.2", "3.1.2.3", "3.1.4b"); a version
    with no number at all counts as new, so a garbled version never widens what is obeyed.
    """
    parts: list[int] = []
    for part in version.strip().split("."):
        match = _VERSION_PART_RE.match(part)
        if match is None:
            break
        parts.append(int(match.group()))
    if not parts:
        return True
    return tuple(parts) >= STRICT_TOPICS_SINCE


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    """Everything that can be tuned on a simulated Kobra 2.

    Times called "sim seconds" run time_scale times faster than the wall clock;
    intervals of published reports are wall-clock seconds.
    """

    host: str = "127.0.0.1"
    port: int = 1883
    model_id: str = "20021"
    printer_id: str = field(default_factory=new_printer_id)
    firmware: str = "3.1.2"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_id: str | None = None
    keepalive: int = 60
    tls: bool = False
    ca_data: str | None = None
    client_cert: str | None = None
    client_key: str | None = field(default=None, repr=False)
    tls_verify: bool = True
    time_scale: float = 1.0
    temp_interval: float = 2.0
    report_interval: float = 2.0
    tick_interval: float = 0.05
    z_comp_as_string: bool = False
    # The layout of the raw Kobra 2 captures (cJSON's tabs, one member a line, "/" written as
    # "\/") unless compact or plain slashes are asked for.
    compact_json: bool = False
    escape_slashes: bool = True
    # Neither set: the command topics the reported firmware obeys (see firmware_is_strict).
    strict_topics: bool = False
    permissive_topics: bool = False
    echo_msgid: bool = False
    checking_for_local: bool = False
    send_print_speed_pct: bool = False
    # A Kobra 2 reports remain_time 0; on, the simulator reports the real minutes left instead.
    real_remain_time: bool = False
    reconnect: bool = True
    reconnect_delay: float = 1.0
    ambient_temp: float = 24.0
    print_nozzle_temp: int = 210
    print_bed_temp: int = 60
    transition_seconds: float = 2.0
    ota_seconds: float = 60.0
    download_limit: int = 512 * 1024 * 1024
    download_timeout: float = 60.0
    local_files: tuple[SimFile, ...] | None = None
    usb_files: tuple[SimFile, ...] | None = None

    def __post_init__(self) -> None:
        """Reject identifiers a real printer could not have and nonsense timings."""
        if not _PRINTER_ID_RE.match(self.printer_id):
            raise ValueError("printer_id must be 32 lowercase hex characters")
        if not _MODEL_ID_RE.match(self.model_id):
            raise ValueError("model_id must be numeric, e.g. 20021")
        for name in ("time_scale", "temp_interval", "report_interval", "tick_interval"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if (self.client_cert is None) != (self.client_key is None):
            raise ValueError("client_cert and client_key go together")
        if self.strict_topics and self.permissive_topics:
            raise ValueError("strict_topics and permissive_topics exclude each other")

    @property
    def report_base(self) -> str:
        """Topic prefix of everything the printer publishes (add "<type>/report")."""
        return f"{TOPIC_ROOT}/printer/public/{self.model_id}/{self.printer_id}"

    @property
    def command_base(self) -> str:
        """Topic under which the printer receives commands."""
        return f"{TOPIC_ROOT}/server/printer/{self.model_id}/{self.printer_id}"
