"""Anycubic Kobra 2 MQTT protocol: topics, report parsing, printer state, commands and the links.

Everything the integration uses is exported here; `_aiomqtt` (private API patches) is not.
"""

from __future__ import annotations

from . import commands
from .client import (
    BrokerConfig,
    DiscoveredPrinter,
    KobraClient,
    discover,
    new_client_id,
)
from .commands import (
    Command,
)
from .const import (
    DISCOVERY_TOPIC,
    MODEL_LIMITS,
    MODEL_NAMES,
    PRINTER_ID_RE,
    TOPIC_PREFIX,
    ModelLimits,
    command_base,
    model_limits,
    normalize_printer_id,
    report_topic_filter,
    valid_model_id,
    valid_printer_id,
)
from .decode import decode_payload
from .events import (
    EVENT_TYPES,
    PrintEvent,
    PrintEventTracker,
)
from .exceptions import (
    KobraAuthError,
    KobraCommandError,
    KobraConnectionError,
    KobraError,
    KobraNotConnectedError,
    KobraParseError,
    KobraProtocolError,
    KobraTimeoutError,
)
from .firmware import (
    firmware_checks_url,
    host_passes_url_check,
    ota_active,
    ota_percentage,
)
from .limits import (
    EDGE_BURST,
    EDGE_INTERVAL,
    EVENTS_PER_MINUTE,
    MAX_REMEMBERED_TASKS,
    RateCap,
    TokenBucket,
    truncate_state,
)
from .link import (
    AuthFailedCallback,
    BaseLink,
    ConnectionCallback,
    KobraLink,
)
from .models import (
    ACTIVE_PHASES,
    BaseReport,
    Envelope,
    FanReport,
    FileDeleteReport,
    FileEntry,
    FileListReport,
    FirmwareReport,
    MachineStatus,
    OnlineReport,
    OtaProgressReport,
    PrintJob,
    PrintPhase,
    PrintReport,
    Report,
    SettingsReport,
    SliceParamReport,
    SpeedMode,
    StatusReport,
    Storage,
    TemperatureReport,
    TopicStyle,
    UnknownReport,
)
from .names import safe_file_name, safe_path
from .pacing import MessagePacer
from .parser import (
    TopicInfo,
    parse_report,
    parse_topic,
)
from .paths import (
    GCODE_SUFFIXES,
    is_gcode_name,
    join_path,
    normalize_path,
    parent_path,
)
from .pem import key_is_encrypted
from .routing import (
    RateLimitedWarning,
    ReportCallback,
    ReportRouter,
)
from .state import (
    PRINT_STATES,
    SPEED_MODE_OPTIONS,
    PrinterState,
)
from .tls import (
    build_ssl_context,
)

__all__ = [
    "ACTIVE_PHASES",
    "DISCOVERY_TOPIC",
    "EDGE_BURST",
    "EDGE_INTERVAL",
    "EVENTS_PER_MINUTE",
    "EVENT_TYPES",
    "GCODE_SUFFIXES",
    "MAX_REMEMBERED_TASKS",
    "MODEL_LIMITS",
    "MODEL_NAMES",
    "PRINTER_ID_RE",
    "PRINT_STATES",
    "SPEED_MODE_OPTIONS",
    "TOPIC_PREFIX",
    "AuthFailedCallback",
    "BaseLink",
    "BaseReport",
    "BrokerConfig",
    "Command",
    "ConnectionCallback",
    "DiscoveredPrinter",
    "Envelope",
    "FanReport",
    "FileDeleteReport",
    "FileEntry",
    "FileListReport",
    "FirmwareReport",
    "KobraAuthError",
    "KobraClient",
    "KobraCommandError",
    "KobraConnectionError",
    "KobraError",
    "KobraLink",
    "KobraNotConnectedError",
    "KobraParseError",
    "KobraProtocolError",
    "KobraTimeoutError",
    "MachineStatus",
    "MessagePacer",
    "ModelLimits",
    "OnlineReport",
    "OtaProgressReport",
    "PrintEvent",
    "PrintEventTracker",
    "PrintJob",
    "PrintPhase",
    "PrintReport",
    "PrinterState",
    "RateCap",
    "RateLimitedWarning",
    "Report",
    "ReportCallback",
    "ReportRouter",
    "SettingsReport",
    "SliceParamReport",
    "SpeedMode",
    "StatusReport",
    "Storage",
    "TemperatureReport",
    "TokenBucket",
    "TopicInfo",
    "TopicStyle",
    "UnknownReport",
    "build_ssl_context",
    "command_base",
    "commands",
    "decode_payload",
    "discover",
    "firmware_checks_url",
    "host_passes_url_check",
    "is_gcode_name",
    "join_path",
    "key_is_encrypted",
    "model_limits",
    "new_client_id",
    "normalize_path",
    "normalize_printer_id",
    "ota_active",
    "ota_percentage",
    "parent_path",
    "parse_report",
    "parse_topic",
    "report_topic_filter",
    "safe_file_name",
    "safe_path",
    "truncate_state",
    "valid_model_id",
    "valid_printer_id",
]
