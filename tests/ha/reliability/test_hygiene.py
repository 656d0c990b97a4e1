"""Topics and secrets (reliability.md §6, cases 18 and 20)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import json
import logging
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.anycubic_kobra2 import config_flow, diagnostics
from custom_components.anycubic_kobra2.const import CONF_MODEL_ID, CONF_PRINTER_ID, DOMAIN
from kobra2_sim import KobraSimulator
from tests.helpers.brokers import MosquittoBroker
from tests.helpers.entry import (
    MODEL_ID,
    PRINTER_ID,
    entity,
    entry_data,
    make_entry,
    setup_entry,
    state_of,
    wait_printer_ready,
    wait_until,
)
from tests.helpers.payloads import temperature_report

from .common import MAX_BACKOFF, REPORT_BASE, REPORT_FILTER, SUBSCRIBE_LOGGING, BrokerLog, publish

type MakeMosquitto = Callable[..., Awaitable[MosquittoBroker]]
type MakePrinter = Callable[..., Awaitable[KobraSimulator]]

NOZZLE = entity("sensor", "nozzle_temperature")
OTHER_PRINTER = "0123456789abcdef0123456789abcdef"
HOSTILE_IDS = [
    "#",
    "+",
    "9347a110c5423fe412ce45533bfc10e/",
    "9347a110c5423fe412ce45533bfc10+6",
    "9347a110c5423fe412ce45533bfc10#6",
    f"{PRINTER_ID}/#",
    "+/+/#",
    "",
    "   ",
]


@pytest.fixture(autouse=True)
def short_discovery(monkeypatch: pytest.MonkeyPatch) -> None:
    """Listen for printers briefly in the config flow."""
    monkeypatch.setattr(config_flow, "DISCOVERY_TIMEOUT", 0.5)


# --- 18 --------------------------------------------------------------------------------------


async def test_topics_have_no_wildcards_and_only_own_printer_is_heard(
    hass: HomeAssistant, make_mosquitto: MakeMosquitto, make_printer: MakePrinter
) -> None:
    """Checklist r18: Wildcards never reach a topic; the integration hears only its own printer.

    The config flow rejects ids with `/ + #` or nothing in them, an entry carrying such an id
    does not load, the live entry subscribes to exactly its printer's report topics (never
    `#`), and reports of another printer are ignored, even if a broker delivered them.
    """
    broker = await make_mosquitto(extra_config=SUBSCRIBE_LOGGING)

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"host": broker.host, "port": broker.port, "security": {"tls": False, "verify_ssl": True}},
    )
    assert result["step_id"] == "manual"
    for hostile in HOSTILE_IDS:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_MODEL_ID: MODEL_ID, CONF_PRINTER_ID: hostile}
        )
        assert result["type"] is FlowResultType.FORM, hostile
        assert result["errors"] == {CONF_PRINTER_ID: "invalid_printer_id"}, hostile
    hass.config_entries.flow.async_abort(result["flow_id"])
    # (The flow's own discovery listened on the printers' announcement topic; from here on
    # only the entries subscribe.)
    log = BrokerLog(broker).mark()

    # An entry edited by hand to carry a wildcard never subscribes to anything.
    tampered = MockConfigEntry(
        domain=DOMAIN,
        title="tampered",
        unique_id="tampered",
        data={**entry_data(broker), CONF_PRINTER_ID: "+"},
    )
    await setup_entry(hass, tampered)
    assert tampered.state is ConfigEntryState.SETUP_ERROR
    assert log.subscriptions() == []

    # The real entry: one subscription, to this printer's reports only.
    await make_printer(broker, quiet=True)
    entry = make_entry(broker)
    await setup_entry(hass, entry)
    coordinator = await wait_printer_ready(hass, entry)
    client_id = coordinator.client.client_id
    assert log.subscriptions(client_id) == [REPORT_FILTER]
    assert PRINTER_ID in REPORT_FILTER
    assert not any(topic in ("#", "+/#") for topic in log.subscriptions())

    # Another printer on the same broker: the broker does not even deliver it ...
    other_base = f"anycubic/anycubicCloud/v1/printer/public/{MODEL_ID}/{OTHER_PRINTER}"
    await publish(broker.port, f"{other_base}/tempature/report", temperature_report(99))
    await publish(broker.port, f"{REPORT_BASE}/tempature/report", temperature_report(44))
    await wait_until(lambda: state_of(hass, NOZZLE) == "44.0")
    # ... and should one arrive anyway, the integration drops it.
    coordinator.client._handle_message(  # noqa: SLF001
        f"{other_base}/tempature/report", temperature_report(99)
    )
    coordinator.client._handle_message(  # noqa: SLF001
        f"anycubic/anycubicCloud/v1/printer/public/20023/{PRINTER_ID}/tempature/report",
        temperature_report(98),
    )
    await hass.async_block_till_done()
    assert coordinator.state.nozzle == 44.0
    assert state_of(hass, NOZZLE) == "44.0"


# --- 20 --------------------------------------------------------------------------------------


def _secret_fragments(*pems: str) -> list[str]:
    """Return the base64 body lines of PEM texts (any one of them in a log is a leak)."""
    return [line for pem in pems for line in pem.splitlines() if line and "-----" not in line]


async def test_no_secrets_in_logs_or_diagnostics(
    hass: HomeAssistant,
    make_mosquitto: MakeMosquitto,
    make_printer: MakePrinter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Checklist r20: Password, certificates and keys never appear in any log line, even at DEBUG.

    Diagnostics redact them as well as the host, user name and the printer's id. Exercised:
    a failed and a good login in the config flow, setup, reports, a malformed payload, a
    broker restart and reconnect, and the diagnostics download.
    """
    caplog.set_level(logging.DEBUG)
    password = "pw-Zq7!secret-9c1e"
    broker = await make_mosquitto(require_certificate=True, users={"kobra-user": password})
    pki = broker.pki
    await make_printer(broker, username="kobra-user", password=password)
    security = {
        "tls": True,
        "verify_ssl": True,
        "ca_cert": pki.ca_pem,
        "client_cert": pki.client_cert_pem,
        "client_key": pki.client_key_pem,
    }
    form: dict[str, Any] = {
        "host": broker.host,
        "port": broker.tls_port,
        "username": "kobra-user",
        "security": security,
    }

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**form, "password": password[::-1]}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(flow_id, {**form, "password": password})
    assert result["step_id"] == "printer"
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_PRINTER_ID: PRINTER_ID})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    coordinator = await wait_printer_ready(hass, entry)

    await publish(
        broker.port,
        f"{REPORT_BASE}/tempature/report",
        b"{broken",
        username="kobra-user",
        password=password,
    )
    await broker.restart()
    await wait_until(lambda: not coordinator.client.connected, timeout=2)
    await wait_until(lambda: coordinator.client.connected, timeout=MAX_BACKOFF + 2)
    # The printer's own reconnect carries credentials too; wait until it reported again.
    await wait_until(lambda: coordinator.printer_available, timeout=5)

    diag = await diagnostics.async_get_config_entry_diagnostics(hass, entry)
    dumped = json.dumps(diag, default=str)
    log_text = caplog.text + "".join(repr(record.args) for record in caplog.records)
    assert "Sending CONNECT" in log_text  # paho's DEBUG lines were captured
    secrets = [password, *_secret_fragments(pki.client_key_pem, pki.client_cert_pem, pki.ca_pem)]
    for secret in secrets:
        assert secret not in log_text, "a secret was logged"
        assert secret not in dumped, "a secret is in the diagnostics"
    for identifying in (PRINTER_ID, "kobra-user", broker.host):
        assert identifying not in dumped
    assert diag["entry"]["data"]["password"] == "**REDACTED**"
    assert diag["entry"]["data"]["client_key"] == "**REDACTED**"
