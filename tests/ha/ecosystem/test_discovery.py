"""Discovery through Home Assistant's MQTT integration, and the choice of connection in the flow."""

from __future__ import annotations

from collections.abc import Iterator
import json
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_MQTT, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.anycubic_kobra2.const import (
    CONF_MODEL_ID,
    CONF_PRINTER_ID,
    CONF_TRANSPORT,
    DOMAIN,
    TRANSPORT_HA_MQTT,
)
from custom_components.anycubic_kobra2.transport import HaMqttTransport
from kobra2_sim import KobraSimulator
from tests.helpers.brokers import AmqttBroker
from tests.helpers.entry import (
    MODEL_ID,
    PRINTER_ID,
    entry_data,
    make_entry,
    setup_ha_mqtt,
    wait_until,
)
from tests.helpers.payloads import envelope, report_topic

REPORT_TOPIC = report_topic("tempature")
PAYLOAD = json.dumps(
    envelope("tempature", "auto", data={"curr_hotbed_temp": 20, "curr_nozzle_temp": 20})
)
# HA's mocked paho client never closes its socket, so HA's MQTT keeps its housekeeping
# timer; HA core's own MQTT tests are exempt from the lingering-timer check too.
pytestmark = pytest.mark.parametrize("expected_lingering_timers", [True])


@pytest.fixture
def no_setup() -> Iterator[AsyncMock]:
    """Create entries without setting them up (the flow is under test here)."""
    with patch("custom_components.anycubic_kobra2.async_setup_entry", return_value=True) as setup:
        yield setup


def _our_flows(hass: HomeAssistant) -> list[dict]:
    """Return the integration's flows in progress."""
    return hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_discovery_creates_an_entry(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, no_setup: AsyncMock
) -> None:
    """A report on HA's broker offers the printer; confirming adds it on HA's connection."""
    async_fire_mqtt_message(hass, REPORT_TOPIC, PAYLOAD)
    # Discovery flows start as background tasks.
    await hass.async_block_till_done(wait_background_tasks=True)
    flows = _our_flows(hass)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_MQTT
    assert flows[0]["context"]["unique_id"] == PRINTER_ID
    assert flows[0]["context"]["title_placeholders"] == {"name": "Kobra 2 Pro"}

    # More reports of the same printer do not start more flows.
    async_fire_mqtt_message(hass, REPORT_TOPIC, PAYLOAD.replace("20,", "21,"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(_our_flows(hass)) == 1

    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "mqtt_confirm"
    assert result["description_placeholders"] == {"model": "Kobra 2 Pro", "printer_id": PRINTER_ID}
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Kobra 2 Pro"
    assert result["data"] == {
        CONF_TRANSPORT: TRANSPORT_HA_MQTT,
        CONF_MODEL_ID: MODEL_ID,
        CONF_PRINTER_ID: PRINTER_ID,
    }
    assert result["result"].unique_id == PRINTER_ID
    no_setup.assert_called_once()

    # Once configured, the printer's reports start nothing.
    async_fire_mqtt_message(hass, REPORT_TOPIC, PAYLOAD.replace("20,", "22,"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _our_flows(hass) == []


async def test_discovery_of_a_configured_printer_changes_nothing(
    hass: HomeAssistant, amqtt: AmqttBroker, mqtt_mock: MqttMockHAClient, no_setup: AsyncMock
) -> None:
    """A printer configured on its own broker stays there: the entry's data is untouched."""
    entry = make_entry(amqtt)
    entry.add_to_hass(hass)
    before = dict(entry.data)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_MQTT},
        data=MqttServiceInfo(
            topic=REPORT_TOPIC,
            payload=PAYLOAD,
            qos=0,
            retain=False,
            subscribed_topic="anycubic/anycubicCloud/v1/printer/public/+/+/#",
            timestamp=0,
        ),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert dict(entry.data) == before


@pytest.mark.parametrize(
    "topic",
    [
        f"anycubic/anycubicCloud/v1/printer/public/{MODEL_ID}/{PRINTER_ID}/tempature",
        f"anycubic/anycubicCloud/v1/printer/public/{MODEL_ID}/not-a-printer-id/status/report",
        f"anycubic/anycubicCloud/v1/printer/public/{MODEL_ID}/{PRINTER_ID}/ha_subscribe_probe",
    ],
)
async def test_discovery_ignores_foreign_topics(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, topic: str
) -> None:
    """Messages that are no printer report (including our own probes) offer nothing."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_MQTT},
        data=MqttServiceInfo(
            topic=topic,
            payload=PAYLOAD,
            qos=0,
            retain=False,
            subscribed_topic="anycubic/anycubicCloud/v1/printer/public/+/+/#",
            timestamp=0,
        ),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"


async def test_user_flow_offers_both_connections(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, amqtt: AmqttBroker
) -> None:
    """With HA's MQTT set up the first step is a menu; "broker" leads to the broker form."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["ha_mqtt", "broker"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "broker"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "broker"
    # The broker form works as without HA's MQTT: a dead broker is a form error.
    data = entry_data(amqtt)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "host": data["host"],
            "port": _closed_port(),
            "security": {"tls": False, "verify_ssl": True},
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


def _closed_port() -> int:
    """Return a local port nothing listens on."""
    from tests.helpers.brokers import free_port

    return free_port()


async def test_ha_mqtt_without_printers_asks_for_one(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, no_setup: AsyncMock
) -> None:
    """Choosing HA's connection with no printer publishing leads to manual entry."""
    with patch("custom_components.anycubic_kobra2.config_flow.DISCOVERY_TIMEOUT", 0.05):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "ha_mqtt"}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "manual"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL_ID: "20023", CONF_PRINTER_ID: PRINTER_ID.upper()}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Kobra 2 Max"
    assert result["data"] == {
        CONF_TRANSPORT: TRANSPORT_HA_MQTT,
        CONF_MODEL_ID: "20023",
        CONF_PRINTER_ID: PRINTER_ID,
    }


async def test_reconfigure_is_for_own_brokers(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, no_setup: AsyncMock
) -> None:
    """An entry on HA's connection has no broker settings to change."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=PRINTER_ID,
        data={
            CONF_TRANSPORT: TRANSPORT_HA_MQTT,
            CONF_MODEL_ID: MODEL_ID,
            CONF_PRINTER_ID: PRINTER_ID,
        },
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_ha_mqtt"


async def test_ha_mqtt_discovers_printers_on_a_real_broker(
    hass: HomeAssistant,
    ha_mqtt: MockConfigEntry,
    printer: KobraSimulator,
    no_setup: AsyncMock,
) -> None:
    """Through HA's real MQTT client, the printer on the broker is offered and added."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "ha_mqtt"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "printer"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PRINTER_ID: PRINTER_ID}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_TRANSPORT: TRANSPORT_HA_MQTT,
        CONF_MODEL_ID: MODEL_ID,
        CONF_PRINTER_ID: PRINTER_ID,
    }


async def test_discovered_printer_works_end_to_end(
    hass: HomeAssistant, mock_hass_config: None, amqtt: AmqttBroker, printer: KobraSimulator
) -> None:
    """HA's real MQTT client sees the simulator; the confirmed entry runs on HA's connection."""
    mqtt_entry = await setup_ha_mqtt(hass, amqtt, discovery=True)
    try:
        await wait_until(lambda: len(_our_flows(hass)) == 1)
        (flow,) = _our_flows(hass)
        result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
        assert result["type"] is FlowResultType.CREATE_ENTRY
        entry = result["result"]
        await hass.async_block_till_done()
        coordinator = entry.runtime_data
        assert isinstance(coordinator.client, HaMqttTransport)
        await wait_until(lambda: coordinator.printer_available)
        await wait_until(lambda: coordinator.state.firmware_version == "3.1.2")
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await hass.config_entries.async_unload(mqtt_entry.entry_id)
        await hass.async_block_till_done()
