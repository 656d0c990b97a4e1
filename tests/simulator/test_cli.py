"""The command line: option mapping, bad input, and a real run stopped with Ctrl-C."""

from __future__ import annotations

import asyncio
from pathlib import Path
import signal
import sys

import pytest

from kobra2_sim.__main__ import (
    _parser,
    config_from_args,
    main,
)
from tests.helpers.brokers import MosquittoBroker

from .conftest import observing

PRINTER_ID = "0123456789abcdef0123456789abcdef"
MODULE = "kobra2_sim"


def test_options_map_onto_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every option lands in SimulatorConfig; PEM files are read; the password comes from env."""
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("SIM_PW", "hunter2")
    args = _parser().parse_args(
        [
            "--host", "10.0.0.2", "--port", "8883", "--model", "20023",
            "--printer-id", PRINTER_ID.upper(), "--firmware", "3.0.9", "--username", "u",
            "--password-env", "SIM_PW", "--ca-file", str(ca), "--insecure", "--time-scale", "60",
            "--temp-interval", "5", "--report-interval", "3", "--z-comp-as-string",
            "--compact-json", "--plain-slashes", "--strict-topics", "--echo-msgid",
            "--checking-for-local",
        ]
    )  # fmt: skip
    config = config_from_args(args)
    assert (config.host, config.port, config.model_id) == ("10.0.0.2", 8883, "20023")
    assert config.printer_id == PRINTER_ID
    assert (config.firmware, config.username, config.password) == ("3.0.9", "u", "hunter2")
    assert config.tls
    assert config.ca_data == "-----BEGIN CERTIFICATE-----\n"
    assert not config.tls_verify
    assert (config.time_scale, config.temp_interval, config.report_interval) == (60, 5, 3)
    assert config.z_comp_as_string
    assert config.compact_json
    assert not config.escape_slashes
    assert config.strict_topics
    assert not config.permissive_topics
    assert config.echo_msgid
    assert config.checking_for_local
    default = config_from_args(_parser().parse_args([]))
    assert not default.tls
    assert default.password is None
    assert len(default.printer_id) == 32
    # The firmware's layout and its topic rule unless asked otherwise.
    assert (default.compact_json, default.escape_slashes) == (False, True)
    assert (default.strict_topics, default.permissive_topics) == (False, False)
    permissive = config_from_args(_parser().parse_args(["--permissive-topics"]))
    assert (permissive.strict_topics, permissive.permissive_topics) == (False, True)


def test_topic_overrides_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    """--strict-topics and --permissive-topics together are a usage error."""
    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(["--strict-topics", "--permissive-topics"])
    assert exit_info.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_invalid_options_exit_with_2(tmp_path: Path) -> None:
    """A bad printer id or an unreadable certificate file is reported, not a traceback."""
    assert main(["--printer-id", "nothex"]) == 2
    assert main(["--ca-file", str(tmp_path / "missing.pem")]) == 2


async def test_cli_runs_until_interrupted(mosquitto_broker: MosquittoBroker) -> None:
    """The module runs as a program, announces itself, answers, and exits 0 on SIGINT."""
    async with observing(mosquitto_broker.port) as observer:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            MODULE,
            "--port",
            str(mosquitto_broker.port),
            "--model",
            "20022",
            "--printer-id",
            PRINTER_ID,
            "--time-scale",
            "60",
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            online = await observer.expect("lastWill", state="online", timeout=20)
            assert online.topic == (
                f"anycubic/anycubicCloud/v1/printer/public/20022/{PRINTER_ID}/lastWill/report"
            )
            await observer.expect("status", "workReport", "free")  # the announcement
            await observer.publish(
                f"anycubic/anycubicCloud/v1/server/printer/20022/{PRINTER_ID}/status",
                b'{"type":"status","action":"query","msgid":"1","timestamp":1,"data":null}',
            )
            await observer.expect("status", "workReport", "free")  # the reply
            proc.send_signal(signal.SIGINT)
            async with asyncio.timeout(10):
                _, stderr = await proc.communicate()
            # A clean exit disconnects: no will before a message published afterwards.
            await observer.publish(
                "anycubic/anycubicCloud/v1/printer/public/1/sentinel/x/report",
                b'{"type": "x", "action": "sentinel"}',
            )
            await observer.expect("x", "sentinel")
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert proc.returncode == 0, stderr.decode()
    assert PRINTER_ID in stderr.decode()
    assert not [s for s in observer.seen if s.type == "lastWill" and s.state == "offline"]
