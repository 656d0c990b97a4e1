"""Credentials and TLS (reliability.md §6, cases 6-10), against mosquitto with real files.

Password files (mosquitto's own hash format), a private CA, a TLS listener with
`require_certificate true`; credentials are revoked by restarting the broker with a new
password file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import ssl
import time
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import ssl as ha_ssl
import pytest

from custom_components.anycubic_kobra2 import config_flow
from custom_components.anycubic_kobra2.const import (
    CONF_CA_CERT,
    CONF_CLIENT_CERT,
    CONF_CLIENT_KEY,
    CONF_MODEL_ID,
    CONF_PRINTER_ID,
    CONF_TLS,
    DOMAIN,
)
from custom_components.anycubic_kobra2.kobra2 import client as client_module
from kobra2_sim import KobraSimulator
from tests.helpers.brokers import MosquittoBroker, free_port
from tests.helpers.certs import generate_pki
from tests.helpers.entry import (
    MODEL_ID,
    PRINTER_ID,
    entity,
    make_entry,
    setup_entry,
    state_of,
    wait_printer_ready,
    wait_until,
)

from .common import MAX_BACKOFF, BrokerLog, SslGuard, established_clients

type MakeMosquitto = Callable[..., Awaitable[MosquittoBroker]]
type MakePrinter = Callable[..., Awaitable[KobraSimulator]]

SECURITY = "security"
NOZZLE = entity("sensor", "nozzle_temperature")


@pytest.fixture(autouse=True)
def short_discovery(monkeypatch: pytest.MonkeyPatch) -> None:
    """Listen for printers briefly in the config flow."""
    monkeypatch.setattr(config_flow, "DISCOVERY_TIMEOUT", 0.5)


def broker_form(host: str, port: int, **fields: Any) -> dict[str, Any]:
    """Return the broker step's input; security fields go into their section."""
    security = {CONF_TLS: False, CONF_VERIFY_SSL: True}
    plain: dict[str, Any] = {CONF_HOST: host, CONF_PORT: port}
    for key, value in fields.items():
        if key in (CONF_TLS, CONF_VERIFY_SSL, CONF_CA_CERT, CONF_CLIENT_CERT, CONF_CLIENT_KEY):
            security[key] = value
        else:
            plain[key] = value
    return {**plain, SECURITY: security}


async def start_flow(hass: HomeAssistant) -> str:
    """Open the user step (the broker form) and return the flow id."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return result["flow_id"]


# --- 6 ---------------------------------------------------------------------------------------


async def test_config_flow_wrong_credentials_are_invalid_auth(
    hass: HomeAssistant, make_mosquitto: MakeMosquitto
) -> None:
    """Checklist r06: Wrong password: invalid_auth (CONNACK 5 / reason 135); then the right one creates one entry."""
    broker = await make_mosquitto(users={"kobra": "s3cret-pass"})
    flow_id = await start_flow(hass)
    wrong = broker_form(broker.host, broker.port, username="kobra", password="wrong")
    result = await hass.config_entries.flow.async_configure(flow_id, wrong)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert BrokerLog(broker).refused_logins() == 1

    right = broker_form(broker.host, broker.port, username="kobra", password="s3cret-pass")
    result = await hass.config_entries.flow.async_configure(flow_id, right)
    assert result["step_id"] == "manual"  # the printer is off: entered by hand
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_MODEL_ID: MODEL_ID, CONF_PRINTER_ID: PRINTER_ID}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entries = hass.config_entries.async_entries(DOMAIN)
    assert len(entries) == 1
    assert entries[0].state is ConfigEntryState.LOADED
    assert entries[0].runtime_data.client.connected


# --- 7 ---------------------------------------------------------------------------------------


async def test_unreachable_broker_is_cannot_connect_within_timeout(
    hass: HomeAssistant, make_mosquitto: MakeMosquitto, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checklist r07: Nothing listening, a hung broker, plain MQTT to the TLS port, a wrong CA.

    Each maps to cannot_connect (invalid_cert for unusable certificate text), never to
    invalid_auth, and the step returns within its connect timeout.
    """
    connect_timeout = 2.0
    monkeypatch.setattr(client_module, "DEFAULT_CONNECT_TIMEOUT", connect_timeout)
    tls = await make_mosquitto(require_certificate=True, users={"kobra": "pw"})
    hung = await make_mosquitto()
    other_ca = generate_pki("another CA").ca_pem
    cases: dict[str, dict[str, Any]] = {
        "nothing listening": broker_form("127.0.0.1", free_port()),
        "hung broker": broker_form(hung.host, hung.port),
        "plain to TLS port": broker_form(tls.host, tls.tls_port, username="kobra", password="pw"),
        "wrong CA": broker_form(
            tls.host,
            tls.tls_port,
            username="kobra",
            password="pw",
            tls=True,
            ca_cert=other_ca,
            client_cert=tls.pki.client_cert_pem,
            client_key=tls.pki.client_key_pem,
        ),
        "broken certificate text": broker_form(
            tls.host, tls.tls_port, tls=True, ca_cert="-----BEGIN CERTIFICATE-----\nxx\n"
        ),
    }
    expected = dict.fromkeys(cases, "cannot_connect")
    expected["broken certificate text"] = "invalid_cert"
    errors: dict[str, str] = {}
    durations: dict[str, float] = {}
    hung.freeze()
    try:
        for name, form in cases.items():
            flow_id = await start_flow(hass)
            started = time.monotonic()
            result = await hass.config_entries.flow.async_configure(flow_id, form)
            durations[name] = time.monotonic() - started
            assert result["type"] is FlowResultType.FORM, name
            errors[name] = result["errors"]["base"]
            hass.config_entries.flow.async_abort(flow_id)
    finally:
        hung.thaw()
    assert errors == expected
    assert all(duration <= connect_timeout + 1.0 for duration in durations.values()), durations
    # Only the hung broker takes the whole timeout; refusals are answered at once.
    assert durations["hung broker"] >= connect_timeout - 0.1
    assert durations["nothing listening"] < 1.0


# --- 8 ---------------------------------------------------------------------------------------


async def test_credentials_revoked_at_runtime_start_reauth_once(
    hass: HomeAssistant, make_mosquitto: MakeMosquitto
) -> None:
    """Checklist r08: A new password file: reauth starts exactly once, reconnecting stops, reauth reconnects."""
    broker = await make_mosquitto(users={"kobra": "old-password"})
    entry = make_entry(broker, **{CONF_USERNAME: "kobra", CONF_PASSWORD: "old-password"})
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data
    assert coordinator.client.connected

    broker.options.users = {"kobra": "new-password"}
    await broker.restart()
    after_restart = BrokerLog(broker).mark()
    await wait_until(lambda: after_restart.refused_logins() == 1, timeout=MAX_BACKOFF + 2)
    await wait_until(lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)))
    # Longer than the backoff cap: a client still retrying would have come back by now.
    await asyncio.sleep(MAX_BACKOFF + 1.0)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert after_restart.refused_logins() == 1
    assert after_restart.connected() == []
    assert not coordinator.client.connected
    assert state_of(hass, NOZZLE) == STATE_UNAVAILABLE

    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_USERNAME: "kobra", CONF_PASSWORD: "new-password"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    await wait_until(lambda: entry.state is ConfigEntryState.LOADED)
    assert entry.data[CONF_PASSWORD] == "new-password"
    await wait_until(lambda: entry.runtime_data.client.connected)
    await wait_until(lambda: established_clients(broker.port) == 1)


# --- 9 ---------------------------------------------------------------------------------------


async def test_private_ca_and_client_certificate_connect(
    hass: HomeAssistant,
    make_mosquitto: MakeMosquitto,
    make_printer: MakePrinter,
    ssl_guard: SslGuard,
) -> None:
    """Checklist r09: Private CA + client certificate against `require_certificate true`, no SSL work on the loop.

    The guard records every SSLContext load: during the config flow, setup and a reconnect
    they all run in executor threads.
    """
    broker = await make_mosquitto(require_certificate=True)
    pki = broker.pki
    await make_printer(broker)  # the printer uses the plain listener
    tls_fields = {
        "tls": True,
        "ca_cert": pki.ca_pem,
        "client_cert": pki.client_cert_pem,
        "client_key": pki.client_key_pem,
    }

    # Without its certificate the broker turns the client away.
    flow_id = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, broker_form(broker.host, broker.tls_port, tls=True, ca_cert=pki.ca_pem)
    )
    assert result["errors"] == {"base": "cannot_connect"}
    # With it, the flow finds the printer over TLS and creates the entry.
    result = await hass.config_entries.flow.async_configure(
        flow_id, broker_form(broker.host, broker.tls_port, **tls_fields)
    )
    assert result["step_id"] == "printer"
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_PRINTER_ID: PRINTER_ID})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    coordinator = await wait_printer_ready(hass, entry)
    assert coordinator.client.broker.tls
    assert coordinator.client.broker.port == broker.tls_port

    # Reconnect after a broker restart: still no certificate work on the loop.
    await broker.restart()
    await wait_until(lambda: not coordinator.client.connected, timeout=2)
    await wait_until(lambda: coordinator.client.connected, timeout=MAX_BACKOFF + 2)

    assert {"load_verify_locations", "load_cert_chain"} <= ssl_guard.methods()
    ssl_guard.assert_clean()


# --- 10 --------------------------------------------------------------------------------------


def _context_settings(context: ssl.SSLContext) -> tuple[bool, ssl.VerifyMode, int]:
    """Return what "insecure" could weaken in a context."""
    return context.check_hostname, context.verify_mode, context.verify_flags


async def test_insecure_option_leaves_shared_ssl_contexts_alone(
    hass: HomeAssistant, make_mosquitto: MakeMosquitto, ssl_guard: SslGuard
) -> None:
    """Checklist r10: The "insecure" option leaves Home Assistant's shared SSL contexts alone.

    With verification on, a certificate from another CA is rejected (and, by default, a
    private CA that was not given to the integration).
    """
    shared = {
        "client_context": ha_ssl.client_context(),
        "client_context_no_verify": ha_ssl.client_context_no_verify(),
        "get_default_context": ha_ssl.get_default_context(),
    }
    before = {name: _context_settings(ctx) for name, ctx in shared.items()}
    assert before["client_context"][:2] == (True, ssl.CERT_REQUIRED)
    broker = await make_mosquitto(tls=True)

    insecure = make_entry(broker, port=broker.tls_port, tls=True, verify_ssl=False)
    await setup_entry(hass, insecure)
    assert insecure.state is ConfigEntryState.LOADED
    client = insecure.runtime_data.client
    assert client.connected
    own = client._ssl_context  # noqa: SLF001
    assert own is not None
    assert own.verify_mode == ssl.CERT_NONE
    assert all(own is not ctx for ctx in shared.values())
    assert {name: _context_settings(ctx) for name, ctx in shared.items()} == before
    assert ha_ssl.client_context().check_hostname is True
    assert ha_ssl.client_context().verify_mode == ssl.CERT_REQUIRED
    assert await hass.config_entries.async_remove(insecure.entry_id)

    # Verification on: a CA that did not sign the broker's certificate is refused, and so is
    # the system trust store (the default) for a private CA.
    for ca in (generate_pki("another CA").ca_pem, None):
        strict = make_entry(broker, port=broker.tls_port, tls=True, verify_ssl=True, ca_cert=ca)
        await setup_entry(hass, strict)
        assert strict.state is ConfigEntryState.SETUP_RETRY
        assert "CERTIFICATE_VERIFY_FAILED" in str(strict.reason)
        assert await hass.config_entries.async_remove(strict.entry_id)
    assert {name: _context_settings(ctx) for name, ctx in shared.items()} == before
    ssl_guard.assert_clean()
