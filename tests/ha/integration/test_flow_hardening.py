"""Config flow, options, discovery, diagnostics and states under odd input (security review).

L6 (a cap on discovery flows), L8 (a file name too long for a state), L10 ("nan" in the
options), L12 (an encrypted client key), I1 (personal data in diagnostics), I8 (a key
without its certificate).
"""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys
import time

from cryptography.hazmat.primitives import serialization
from homeassistant.config_entries import SOURCE_MQTT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import pytest

from custom_components.anycubic_kobra2.const import (
    CONF_CLIENT_CERT,
    CONF_CLIENT_KEY,
    CONF_POLL_INTERVAL,
    CONF_STALE_TIMEOUT,
    CONF_TLS,
    CONF_TOPIC_STYLE,
    DOMAIN,
)
from custom_components.anycubic_kobra2.diagnostics import async_get_config_entry_diagnostics
from custom_components.anycubic_kobra2.kobra2.models import PrintJob
from tests.helpers.brokers import AmqttBroker
from tests.helpers.certs import shared_pki
from tests.helpers.entry import entity, make_entry, setup_entry, state_of, wait_until

from .test_config_flow import SECURITY, start_flow, user_input

REPO = Path(__file__).resolve().parents[3]


def _encrypted_key() -> str:
    """Return the test client key, protected by a pass phrase."""
    key = serialization.load_pem_private_key(shared_pki().client_key_pem.encode(), None)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pass phrase"),
    ).decode()


async def test_encrypted_key_and_key_without_cert_are_clear_errors(
    hass: HomeAssistant, amqtt: AmqttBroker
) -> None:
    """L12 and I8: each gets its own error at once, not invalid_cert or cannot_connect."""
    pki = shared_pki()
    flow_id = await start_flow(hass)
    security = {
        CONF_TLS: True,
        CONF_CLIENT_CERT: pki.client_cert_pem,
        CONF_CLIENT_KEY: _encrypted_key(),
    }
    started = time.monotonic()
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(amqtt, **{SECURITY: security})
    )
    assert result["errors"] == {"base": "encrypted_key"}
    assert time.monotonic() - started < 5
    security = {CONF_TLS: True, CONF_CLIENT_KEY: pki.client_key_pem}
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(amqtt, **{SECURITY: security})
    )
    assert result["errors"] == {"base": "key_without_cert"}


_PROMPT_PROBE = """
import asyncio
from custom_components.anycubic_kobra2.kobra2.client import BrokerConfig, build_ssl_context
from custom_components.anycubic_kobra2.kobra2.exceptions import KobraConnectionError
import sys
cfg = BrokerConfig("h", tls=True, client_cert=sys.argv[1], client_key=sys.argv[2])
try:
    asyncio.run(build_ssl_context(cfg))
except KobraConnectionError:
    print("refused")
"""


def test_encrypted_key_never_prompts_on_a_terminal(tmp_path: Path) -> None:
    """L12: with a terminal (hass started by hand), loading the key must not ask for a pass phrase."""
    probe = tmp_path / "probe.py"
    probe.write_text(_PROMPT_PROBE)
    pki = shared_pki()
    args = [sys.executable, str(probe), pki.client_cert_pem, _encrypted_key()]
    command = " ".join(f"'{arg}'" for arg in args)
    try:
        out = subprocess.run(
            ["script", "-qec", command, "/dev/null"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=15,
            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "TERM": "dumb"},
            check=False,
        ).stdout
    except subprocess.TimeoutExpired:
        pytest.fail("loading the encrypted key blocked on a pass-phrase prompt")
    assert "pass phrase" not in out.lower()
    assert "refused" in out


async def test_nan_in_the_options_is_a_form_error(hass: HomeAssistant, amqtt: AmqttBroker) -> None:
    """L10: "nan" for a number gives the form back with an error, not a server error."""
    entry = make_entry(amqtt)
    await setup_entry(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_POLL_INTERVAL: float("nan"), CONF_STALE_TIMEOUT: 90, CONF_TOPIC_STYLE: "type"},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_POLL_INTERVAL: "not_a_number"}


async def test_discovery_flows_are_capped(hass: HomeAssistant) -> None:
    """L6: fake printers on the broker give a handful of discovery flows, not one each."""
    for index in range(20):
        printer_id = f"{index:032x}"
        topic = f"anycubic/anycubicCloud/v1/printer/public/20021/{printer_id}/status/report"
        await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_MQTT},
            data=MqttServiceInfo(
                topic=topic,
                payload=json.dumps({"type": "status", "action": "workReport"}),
                qos=0,
                retain=False,
                subscribed_topic="anycubic/anycubicCloud/v1/printer/public/+/+/#",
                timestamp=0,
            ),
        )
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 5


async def test_long_file_name_and_diagnostics(hass: HomeAssistant, amqtt: AmqttBroker) -> None:
    """L8: a 1,000-character job name is cut for the state; I1: diagnostics leave it out."""
    entry = make_entry(amqtt)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await wait_until(lambda: coordinator.client.connected)
    coordinator.fresh = True  # as if the printer had just reported
    name = "x" * 1000 + ".gcode"
    coordinator.state.job = PrintJob(taskid="1", filename=name)
    coordinator.state.slice_params = {"user_path": "C:\\Users\\Jane\\part.stl", "layer": 0.2}
    coordinator.async_set_updated_data(coordinator.data)
    await hass.async_block_till_done()
    current = state_of(hass, entity("sensor", "current_file"))
    assert len(current) == 255
    assert current.endswith("…")
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    text = json.dumps(diagnostics, default=str)
    assert name not in text
    assert "Jane" not in text
    assert diagnostics["state"]["slice_params"] == ["layer", "user_path"]
