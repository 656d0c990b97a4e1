"""Firmware-shaped report payloads whose values encode a sequence number, and their expected states."""

from __future__ import annotations

from dataclasses import dataclass

from tests.helpers.payloads import encode, envelope

TOPIC_ROOT = "anycubic/anycubicCloud/v1"
MODEL_ID = "20021"
TASK_ID = "424242"
FILENAME = "bench_cube.gcode"

# Report kinds the benchmark publishes; each value changes from one sequence number to the next,
# so every report changes every entity that shows one of its values.
KINDS = ("temp", "print")


def report_topic(model_id: str, printer_id: str, rtype: str) -> str:
    """Return the topic a printer publishes a report of rtype on."""
    return f"{TOPIC_ROOT}/printer/public/{model_id}/{printer_id}/{rtype}/report"


def command_filter() -> str:
    """Return the filter matching every command to every printer."""
    return f"{TOPIC_ROOT}/server/printer/#"


def msgid(seq: int) -> str:
    """Return a UUID-shaped message id carrying seq (so a raw subscriber can tell reports apart)."""
    return f"00000000-0000-4000-8000-{seq % 10**12:012d}"


def seq_of(msg_id: str) -> int:
    """Return the sequence number encoded by msgid()."""
    return int(msg_id.rsplit("-", 1)[1])


@dataclass(frozen=True, slots=True)
class TempValues:
    """Values of a tempature/auto report for a sequence number."""

    nozzle: int
    bed: int
    target_nozzle: int
    target_bed: int


@dataclass(frozen=True, slots=True)
class PrintValues:
    """Values of a print/start printing report for a sequence number."""

    progress: int
    print_time: int
    remain_time: int
    supplies_usage: int


def temp_values(seq: int) -> TempValues:
    """Return the temperatures of report seq (all four differ from those of seq - 1)."""
    return TempValues(
        nozzle=20 + seq % 200,
        bed=20 + seq % 80,
        target_nozzle=170 + seq % 60,
        target_bed=40 + seq % 50,
    )


def print_values(seq: int) -> PrintValues:
    """Return the job figures of report seq (all four differ from those of seq - 1)."""
    return PrintValues(
        progress=seq % 100,
        print_time=1 + seq % 997,
        remain_time=1 + (seq * 7) % 991,
        supplies_usage=100 + seq % 9973,
    )


# Nozzle temperatures outside the cycle of temp_values(): the last report of a burst carries one,
# so "the last report arrived" cannot be confused with an earlier report of the same value.
MARKERS = (250, 251)


def build(kind: str, seq: int, marker: int | None = None) -> tuple[str, bytes]:
    """Return (report type, payload) of report seq of kind (temp: nozzle = marker if given)."""
    if kind == "temp":
        t = temp_values(seq)
        if marker is not None:
            t = TempValues(marker, t.bed, t.target_nozzle, t.target_bed)
        return "tempature", encode(
            envelope(
                "tempature",
                "auto",
                "done",
                {
                    "curr_hotbed_temp": t.bed,
                    "curr_nozzle_temp": t.nozzle,
                    "target_hotbed_temp": t.target_bed,
                    "target_nozzle_temp": t.target_nozzle,
                },
                msgid=msgid(seq),
                timestamp=1709900000000 + seq,
            )
        )
    if kind == "print":
        p = print_values(seq)
        return "print", encode(
            envelope(
                "print",
                "start",
                "printing",
                {
                    "taskid": TASK_ID,
                    "localtask": "",
                    "filename": FILENAME,
                    "progress": p.progress,
                    "print_time": p.print_time,
                    "remain_time": p.remain_time,
                    "supplies_usage": p.supplies_usage,
                    "curr_layer": 0,
                    "total_layers": -1,
                },
                msgid=msgid(seq),
                timestamp=1709900000000 + seq,
            )
        )
    raise ValueError(f"unknown report kind {kind!r}")


def key_value(kind: str, seq: int) -> str:
    """Return the state string the key entity of kind shows after report seq."""
    if kind == "temp":
        return str(temp_values(seq).nozzle)
    return str(print_values(seq).progress)
