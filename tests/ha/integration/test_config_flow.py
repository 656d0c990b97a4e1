"""Config flow: every step, error and abort, against real brokers and the simulator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.anycubic_kobra2.const import (
    CONF_CA_CERT,
    CONF_CLIENT_CERT,
    CONF_CLIENT_KEY,
    CONF_MODEL_ID,
    CONF_POLL_INTERVAL,
    CONF_PRINTER_ID,
    CONF_STALE_TIMEOUT,
    CONF_TLS,
    CONF_TOPIC_STYLE,
    DOMAIN,
    MANUAL_ENTRY,
)
from custom_components.anycubic_kobra2.kobra2.models import TopicStyle
from kobra2_sim import KobraSimulator
from tests.helpers.brokers import AmqttBroker, MosquittoBroker, free_port
from tests.helpers.entry import (
    MODEL_ID,
    PRINTER_ID,
    TITLE,
    entry_data,
    make_entry,
    setup_entry,
    sim_config,
)

OTHER_ID = "0123456789abcdef0123456789abcdef"
SECURITY = "security"


@pytest.fixture(autouse=True)
def short_discovery() -> Iterator[None]:
    """Listen for printers briefly; the test printers report several times a second."""
    with patch("custom_components.anycubic_kobra2.config_flow.DISCOVERY_TIMEOUT", 0.6):
        yield


def user_input(broker: AmqttBroker | MosquittoBroker, **overrides: Any) -> dict[str, Any]:
    """Return the broker form as a user fills it in for a plain, anonymous broker."""
    form: dict[str, Any] = {
        CONF_HOST: broker.host,
        CONF_PORT: broker.port,
        SECURITY: {CONF_TLS: False, CONF_VERIFY_SSL: True},
    }
    form.update(overrides)
    return form


async def start_flow(hass: HomeAssistant) -> str:
    """Open the user step and return the flow id."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return result["flow_id"]


async def test_discovered_printer(
    hass: HomeAssistant, amqtt: AmqttBroker, printer: KobraSimulator
) -> None:
    """A printer publishing on the broker is offered by model name and id and becomes the entry."""
    flow_id = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, user_input(amqtt))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "printer"
    options = result["data_schema"].schema[CONF_PRINTER_ID].config["options"]
    assert options == [
        {"value": PRINTER_ID, "label": f"Kobra 2 Pro ({PRINTER_ID})"},
        {"value": MANUAL_ENTRY, "label": "Enter the printer by hand"},
    ]

    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_PRINTER_ID: PRINTER_ID})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == TITLE
    assert result["data"] == entry_data(amqtt)
    assert result["result"].unique_id == PRINTER_ID
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_manual_from_printer_step(
    hass: HomeAssistant, amqtt: AmqttBroker, printer: KobraSimulator
) -> None:
    """Manual entry stays possible next to the discovered printers."""
    flow_id = await start_flow(hass)
    await hass.config_entries.flow.async_configure(flow_id, user_input(amqtt))
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_PRINTER_ID: MANUAL_ENTRY}
    )
    assert result["step_id"] == "manual"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_MODEL_ID: "20023", CONF_PRINTER_ID: OTHER_ID.upper()}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Kobra 2 Max"
    assert result["data"][CONF_MODEL_ID] == "20023"
    assert result["data"][CONF_PRINTER_ID] == OTHER_ID
    assert result["result"].unique_id == OTHER_ID


async def test_no_printer_on_broker_goes_to_manual(hass: HomeAssistant, amqtt: AmqttBroker) -> None:
    """With the printer off, the flow asks for it by hand and rejects a malformed id."""
    flow_id = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, user_input(amqtt))
    assert result["step_id"] == "manual"
    assert result["errors"] == {}

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_MODEL_ID: MODEL_ID, CONF_PRINTER_ID: "not-a-printer/#"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_PRINTER_ID: "invalid_printer_id"}

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_MODEL_ID: MODEL_ID, CONF_PRINTER_ID: f" {PRINTER_ID} "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == PRINTER_ID


async def test_already_configured(
    hass: HomeAssistant, amqtt: AmqttBroker, printer: KobraSimulator
) -> None:
    """A configured printer is not offered again and cannot be added twice."""
    MockConfigEntry(domain=DOMAIN, unique_id=PRINTER_ID, data=entry_data(amqtt)).add_to_hass(hass)
    flow_id = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, user_input(amqtt))
    assert result["step_id"] == "manual"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_MODEL_ID: MODEL_ID, CONF_PRINTER_ID: PRINTER_ID}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_cannot_connect_then_recover(hass: HomeAssistant, amqtt: AmqttBroker) -> None:
    """Nothing listening on the port gives cannot_connect; the right port then works."""
    flow_id = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(amqtt, **{CONF_PORT: free_port()})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(flow_id, user_input(amqtt))
    assert result["step_id"] == "manual"


async def test_invalid_auth_then_recover(
    hass: HomeAssistant, make_amqtt: Callable[..., Awaitable[AmqttBroker]]
) -> None:
    """Wrong credentials give invalid_auth; the right ones then work."""
    broker = await make_amqtt(username="kobra", password="secret")
    flow_id = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(broker, **{CONF_USERNAME: "kobra", CONF_PASSWORD: "wrong"})
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(broker, **{CONF_USERNAME: "kobra", CONF_PASSWORD: "secret"})
    )
    assert result["step_id"] == "manual"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_MODEL_ID: MODEL_ID, CONF_PRINTER_ID: PRINTER_ID}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_USERNAME] == "kobra"
    assert result["data"][CONF_PASSWORD] == "secret"


async def test_unknown_error_then_recover(hass: HomeAssistant, amqtt: AmqttBroker) -> None:
    """A bug-shaped failure (which no broker produces) gives unknown; a retry then works."""
    flow_id = await start_flow(hass)
    with patch(
        "custom_components.anycubic_kobra2.config_flow.discover",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, user_input(amqtt))
    assert result["errors"] == {"base": "unknown"}
    result = await hass.config_entries.flow.async_configure(flow_id, user_input(amqtt))
    assert result["step_id"] == "manual"


async def test_tls_with_client_certificate(
    hass: HomeAssistant, make_mosquitto: Callable[..., Awaitable[MosquittoBroker]]
) -> None:
    """A TLS broker that requires client certificates; broken PEM text gives invalid_cert first."""
    broker = await make_mosquitto(require_certificate=True)
    pki = broker.pki
    security = {
        CONF_TLS: True,
        CONF_VERIFY_SSL: True,
        CONF_CA_CERT: "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----",
    }
    form = user_input(broker, **{CONF_PORT: broker.tls_port, SECURITY: security})
    flow_id = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, form)
    assert result["errors"] == {"base": "invalid_cert"}

    security[CONF_CA_CERT] = pki.ca_pem
    # The broker wants a client certificate; without one the broker drops the link after
    # the TLS handshake and the client only notices at its connect timeout.
    with patch("custom_components.anycubic_kobra2.kobra2.client.DEFAULT_CONNECT_TIMEOUT", 2.0):
        result = await hass.config_entries.flow.async_configure(flow_id, form)
    assert result["errors"] == {"base": "cannot_connect"}

    security[CONF_CLIENT_CERT] = pki.client_cert_pem
    security[CONF_CLIENT_KEY] = pki.client_key_pem
    result = await hass.config_entries.flow.async_configure(flow_id, form)
    assert result["step_id"] == "manual"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_MODEL_ID: MODEL_ID, CONF_PRINTER_ID: PRINTER_ID}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = result["data"]
    assert data[CONF_TLS] is True
    assert data[CONF_PORT] == broker.tls_port
    assert data[CONF_CA_CERT] == pki.ca_pem.strip()
    assert data[CONF_CLIENT_KEY] == pki.client_key_pem.strip()
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_reauth(
    hass: HomeAssistant, make_amqtt: Callable[..., Awaitable[AmqttBroker]]
) -> None:
    """Reauthentication checks the new credentials and reloads the entry with them."""
    broker = await make_amqtt(username="kobra", password="new-secret")
    entry = make_entry(broker, **{CONF_USERNAME: "kobra", CONF_PASSWORD: "old-secret"})
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    flow_id = flows[0]["flow_id"]

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: "kobra", CONF_PASSWORD: "still-wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: "kobra", CONF_PASSWORD: "new-secret"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == "new-secret"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure(hass: HomeAssistant, amqtt: AmqttBroker) -> None:
    """Reconfigure moves the entry to another broker port after checking it."""
    old = AmqttBroker()
    await old.start()
    entry = make_entry(old)
    try:
        await setup_entry(hass, entry)
        assert entry.state is ConfigEntryState.LOADED
        result = await entry.start_reconfigure_flow(hass)
        assert result["step_id"] == "reconfigure"

        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: amqtt.host, CONF_PORT: free_port(), SECURITY: {CONF_TLS: False}},
        )
        assert result["errors"] == {"base": "cannot_connect"}

        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: amqtt.host, CONF_PORT: amqtt.port, SECURITY: {CONF_TLS: False}},
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        assert entry.data[CONF_PORT] == amqtt.port
        assert entry.data[CONF_PRINTER_ID] == PRINTER_ID
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert entry.runtime_data.client.broker.port == amqtt.port
    finally:
        await old.close()


@pytest.mark.usefixtures("printer")
async def test_options(hass: HomeAssistant, amqtt: AmqttBroker) -> None:
    """Options are stored and the running coordinator picks them up after a reload."""
    entry = make_entry(amqtt)
    await setup_entry(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_POLL_INTERVAL: 30,
            CONF_STALE_TIMEOUT: 90,
            CONF_TOPIC_STYLE: TopicStyle.TYPE_ACTION.value,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_POLL_INTERVAL: 30,
        CONF_STALE_TIMEOUT: 90,
        CONF_TOPIC_STYLE: "type_action",
    }
    await hass.async_block_till_done()
    coordinator = entry.runtime_data
    assert coordinator.poll_interval == 30
    assert coordinator.stale_timeout == 90
    assert coordinator.client.topic_style is TopicStyle.TYPE_ACTION


async def test_discovery_lists_several_models(hass: HomeAssistant, amqtt: AmqttBroker) -> None:
    """Two printers on one broker are both offered, each with its model name."""
    pro = KobraSimulator(sim_config(amqtt))
    maxi = KobraSimulator(sim_config(amqtt, model_id="20023", printer_id=OTHER_ID))
    await pro.start()
    await maxi.start()
    try:
        flow_id = await start_flow(hass)
        result = await hass.config_entries.flow.async_configure(flow_id, user_input(amqtt))
        labels = [
            o["label"] for o in result["data_schema"].schema[CONF_PRINTER_ID].config["options"]
        ]
        assert labels == [
            f"Kobra 2 Pro ({PRINTER_ID})",
            f"Kobra 2 Max ({OTHER_ID})",
            "Enter the printer by hand",
        ]
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_PRINTER_ID: OTHER_ID}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"][CONF_MODEL_ID] == "20023"
        await hass.async_block_till_done()
    finally:
        await pro.stop()
        await maxi.stop()
