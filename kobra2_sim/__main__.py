"""Command line: run a simulated Kobra 2 against a broker until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
from pathlib import Path
import signal

from .config import SimulatorConfig, new_printer_id
from .simulator import KobraSimulator

_LOGGER = logging.getLogger("kobra2_sim")


def _parser() -> argparse.ArgumentParser:
    """Command-line options (each maps onto a SimulatorConfig field)."""
    parser = argparse.ArgumentParser(
        prog="python -m kobra2_sim",
        description="Simulated Anycubic Kobra 2 printer on an MQTT broker.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--model", default="20021", help="20021 Pro, 20022 Plus, 20023 Max")
    parser.add_argument("--printer-id", default=None, help="32 hex characters (random if omitted)")
    parser.add_argument("--firmware", default="3.1.2")
    parser.add_argument("--username", default=None)
    parser.add_argument(
        "--password-env",
        default=None,
        metavar="VAR",
        help="name of an environment variable holding the password (keeps it off the command line)",
    )
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--ca-file", type=Path, default=None)
    parser.add_argument("--cert-file", type=Path, default=None)
    parser.add_argument("--key-file", type=Path, default=None)
    parser.add_argument(
        "--insecure", action="store_true", help="do not verify the broker certificate"
    )
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--temp-interval", type=float, default=2.0)
    parser.add_argument("--report-interval", type=float, default=2.0)
    parser.add_argument("--z-comp-as-string", action="store_true")
    parser.add_argument(
        "--compact-json",
        action="store_true",
        help="one-line JSON instead of the firmware's tab-indented cJSON layout",
    )
    parser.add_argument(
        "--plain-slashes",
        dest="escape_slashes",
        action="store_false",
        help='write "/" as is instead of "\\/"',
    )
    topics = parser.add_mutually_exclusive_group()
    topics.add_argument(
        "--strict-topics",
        action="store_true",
        help="obey commands only on .../<type> (default for firmware 3.1.0 and later)",
    )
    topics.add_argument(
        "--permissive-topics",
        action="store_true",
        help="obey commands on any topic suffix (default for firmware before 3.1.0)",
    )
    parser.add_argument("--echo-msgid", action="store_true")
    parser.add_argument("--checking-for-local", action="store_true")
    parser.add_argument(
        "--real-remain-time", action="store_true", help="report the minutes left, not 0"
    )
    parser.add_argument("--log-level", default="INFO")
    return parser


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    """Build the simulator settings from parsed options (reads PEM files; call before the loop)."""

    def read(path: Path | None) -> str | None:
        return path.read_text(encoding="ascii") if path is not None else None

    password = os.environ.get(args.password_env) if args.password_env else None
    return SimulatorConfig(
        host=args.host,
        port=args.port,
        model_id=args.model,
        printer_id=(args.printer_id or new_printer_id()).lower(),
        firmware=args.firmware,
        username=args.username,
        password=password,
        tls=args.tls or args.ca_file is not None,
        ca_data=read(args.ca_file),
        client_cert=read(args.cert_file),
        client_key=read(args.key_file),
        tls_verify=not args.insecure,
        time_scale=args.time_scale,
        temp_interval=args.temp_interval,
        report_interval=args.report_interval,
        z_comp_as_string=args.z_comp_as_string,
        compact_json=args.compact_json,
        escape_slashes=args.escape_slashes,
        strict_topics=args.strict_topics,
        permissive_topics=args.permissive_topics,
        echo_msgid=args.echo_msgid,
        checking_for_local=args.checking_for_local,
        real_remain_time=args.real_remain_time,
    )


async def run(config: SimulatorConfig) -> None:
    """Run one simulator until SIGINT or SIGTERM."""
    simulator = KobraSimulator(config)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, done.set)
    await simulator.start()
    _LOGGER.info(
        "Kobra 2 simulator online: model %s, printer id %s, broker %s:%s",
        config.model_id,
        config.printer_id,
        config.host,
        config.port,
    )
    try:
        await done.wait()
    finally:
        await simulator.stop()
        _LOGGER.info("simulator stopped")


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        config = config_from_args(args)
    except (OSError, ValueError) as err:
        _LOGGER.error("invalid settings: %s", err)
        return 2
    try:
        asyncio.run(run(config))
    except ConnectionError as err:
        _LOGGER.error("%s", err)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
