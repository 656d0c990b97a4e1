"""A faithful Kobra 2 printer simulator that speaks the printer side of the MQTT protocol."""

from .config import TOPIC_ROOT, SimulatorConfig, firmware_is_strict, new_printer_id
from .machine import Machine, Outgoing
from .simulator import KobraSimulator, ReceivedCommand, SimulatorState, build_ssl_context
from .storage import LOCAL, USB, FileStore, SimFile, sample_files

__all__ = [
    "LOCAL",
    "TOPIC_ROOT",
    "USB",
    "FileStore",
    "KobraSimulator",
    "Machine",
    "Outgoing",
    "ReceivedCommand",
    "SimFile",
    "SimulatorConfig",
    "SimulatorState",
    "build_ssl_context",
    "firmware_is_strict",
    "new_printer_id",
    "sample_files",
]
