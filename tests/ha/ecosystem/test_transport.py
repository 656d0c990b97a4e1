"""HaMqttTransport: the printer through Home Assistant's own MQTT connection.

Home Assistant's real MQTT client (paho, not mocked) talks to a real broker with the
simulated printer on it; HA's mocked client fixture (`mqtt_mock`) is only used for what
a broker cannot show, such as the exact publish call.
"""

from __future__ import annotations

import asyncio
import json
import logging
from unittest.mock import patch

from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_send
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_mqtt_message
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.anycubic_kobra2.kobra2 import commands
from custom_components.anycubic_kobra2.kobra2.exceptions import (
    KobraCommandError,
    KobraConnectionError,
    KobraNotConnectedError,
    KobraTimeoutError,
)
from custom_components.anycubic_kobra2.kobra2.models import (
    FileListReport,
    Report,
    StatusReport,
    TemperatureReport,
    TopicStyle,
)
from custom_components.anycubic_kobra2.transport import HaMqttTransport, KobraTransport
from kobra2_sim import KobraSimulator
from tests.helpers.brokers import AmqttBroker
from tests.helpers.entry import MODEL_ID, PRINTER_ID, wait_until

OTHER_PRINTER = "0123456789abcdef0123456789abcdef"
# HA's mocked paho client never closes its socket, so HA's MQTT keeps its once-a-second
# housekeeping timer; HA core's own MQTT tests are exempt from the lingering-timer check too.
mock_mqtt_timers = pytest.mark.parametrize("expected_lingering_timers", [True])
REPORT_PREFIX = f"anycubic/anycubicCloud/v1/printer/public/{MODEL_ID}/{PRINTER_ID}"


def _transport(
    hass: HomeAssistant, reports: list[Report], links: list[bool] | None = None, **kwargs: object
) -> HaMqttTransport:
    """Return a transport for the test printer that records what it delivers."""
    return HaMqttTransport(
        hass,
        MODEL_ID,
        PRINTER_ID,
        on_report=reports.append,
        on_connection=links.append if links is not None else None,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_reports_requests_and_stop(
    hass: HomeAssistant, ha_mqtt: MockConfigEntry, printer: KobraSimulator
) -> None:
    """Reports arrive parsed, requests get their answer, stop() ends both."""
    reports: list[Report] = []
    links: list[bool] = []
    transport = _transport(hass, reports, links)
    await transport.connect()
    await transport.connect()  # idempotent: one subscription
    assert transport.connected
    assert links == [True]
    await wait_until(lambda: any(isinstance(r, TemperatureReport) for r in reports))

    answer = await transport.request(commands.query_status(), timeout=5)
    assert isinstance(answer, StatusReport)
    listing = await transport.request(commands.list_files("local"), timeout=5)
    assert isinstance(listing, FileListReport)
    assert {f.name for f in listing.files} == {
        f.rsplit("/", 1)[-1] for f in printer.local_files if f.count("/") == 1
    }
    # The command went to the printer's topic, in the firmware 3.1 form (`/<type>`).
    received = await printer.wait_for_command("file", "listLocal", timeout=5)
    assert received.topic.endswith(f"/{PRINTER_ID}/file")

    await transport.stop()
    assert links == [True, False]
    assert not transport.connected
    with pytest.raises(KobraNotConnectedError):
        await transport.send(commands.query_status())
    count = len(reports)
    await printer.publish_raw("status/report", json.dumps(_status("busy")).encode())
    await hass.async_block_till_done()
    assert len(reports) == count


def _status(state: str) -> dict[str, object]:
    """Return a status/workReport payload as the firmware writes it."""
    return {
        "type": "status",
        "action": "workReport",
        "msgid": "4b1f3c5e-0000-4000-8000-000000000001",
        "state": state,
        "timestamp": 1709900000000,
        "code": 200,
        "msg": "",
        "data": None,
    }


async def test_failed_answer_and_timeout(
    hass: HomeAssistant, ha_mqtt: MockConfigEntry, printer: KobraSimulator
) -> None:
    """A printer that refuses raises KobraCommandError; one that is gone, KobraTimeoutError."""
    transport = _transport(hass, [])
    await transport.connect()
    with pytest.raises(KobraCommandError, match="no camera"):
        await transport.request(commands.start_capture("r", "id", "key", "token"), timeout=5)
    await printer.stop()
    with pytest.raises(KobraTimeoutError):
        await transport.request(commands.query_status(), timeout=0.3)
    await transport.stop()


async def test_malformed_and_foreign_messages(
    hass: HomeAssistant,
    ha_mqtt: MockConfigEntry,
    printer: KobraSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Garbage is logged once (rate-limited) and dropped; the link keeps working."""
    reports: list[Report] = []
    transport = _transport(hass, reports)
    await transport.connect()
    caplog.set_level(logging.DEBUG, logger="custom_components.anycubic_kobra2.transport")
    await printer.publish_raw("status/report", b"{not json")
    await printer.publish_raw("status/report", b"\xff\xfe")
    await printer.publish_raw("status/report", json.dumps(_status("busy")).encode())
    await wait_until(
        lambda: any(isinstance(r, StatusReport) and r.raw_state == "busy" for r in reports)
    )
    warnings = [
        r for r in caplog.records if r.levelno == logging.WARNING and "malformed" in r.message
    ]
    assert len(warnings) == 1
    assert "{not json" in warnings[0].getMessage()
    assert any(r.levelno == logging.DEBUG and "malformed" in r.message for r in caplog.records)
    await transport.stop()


async def test_follows_ha_reconnects(
    hass: HomeAssistant, ha_mqtt: MockConfigEntry, amqtt: AmqttBroker, printer: KobraSimulator
) -> None:
    """A broker restart is seen through HA's client, which resubscribes; requests work again."""
    links: list[bool] = []
    transport = _transport(hass, [], links)
    await transport.connect()
    with patch("homeassistant.components.mqtt.client.RECONNECT_INTERVAL_SECONDS", 0.05):
        await amqtt.restart()
        await wait_until(lambda: links == [True, False, True], timeout=15)
    answer = await transport.request(commands.query_status(), timeout=10)
    assert isinstance(answer, StatusReport)
    await transport.stop()


@mock_mqtt_timers
async def test_pending_request_fails_when_link_drops(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A request waiting for an answer fails at once when HA's MQTT connection drops."""
    transport = _transport(hass, [])
    await transport.connect()
    mqtt_mock.async_publish.reset_mock()
    task = asyncio.create_task(transport.request(commands.query_status(), timeout=30))
    await wait_until(lambda: mqtt_mock.async_publish.called)
    async_dispatcher_send(hass, mqtt.MQTT_CONNECTION_STATE, False)
    with pytest.raises(KobraConnectionError, match="lost"):
        await task
    assert not transport.connected
    # Back up only once the resubscription is confirmed.
    async_dispatcher_send(hass, mqtt.MQTT_CONNECTION_STATE, True)
    await wait_until(lambda: transport.connected)
    await transport.stop()


@mock_mqtt_timers
@pytest.mark.parametrize(
    ("style", "suffix"),
    [(TopicStyle.TYPE, "/print"), (TopicStyle.TYPE_ACTION, "/print/pause")],
)
async def test_publish_call(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, style: TopicStyle, suffix: str
) -> None:
    """Commands go out at QoS 0 without retain, as bytes, on the chosen topic style."""
    transport = _transport(hass, [], topic_style=style)
    await transport.connect()
    command = commands.pause_print("482913")
    mqtt_mock.async_publish.reset_mock()
    await transport.send(command)
    mqtt_mock.async_publish.assert_called_once()
    # Newer HA releases add keyword arguments (e.g. message expiry) to the call.
    assert mqtt_mock.async_publish.call_args.args == (
        f"anycubic/anycubicCloud/v1/server/printer/{MODEL_ID}/{PRINTER_ID}{suffix}",
        command.payload(),
        0,
        False,
    )
    await transport.stop()


@mock_mqtt_timers
async def test_reports_via_ha_fixture(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    """Only this printer's report topics are subscribed; other printers are not delivered."""
    reports: list[Report] = []
    transport = _transport(hass, reports)
    await transport.connect()
    payload = json.dumps(_status("free")).encode()
    async_fire_mqtt_message(hass, f"{REPORT_PREFIX}/status/report", payload)
    other = f"anycubic/anycubicCloud/v1/printer/public/{MODEL_ID}/{OTHER_PRINTER}/status/report"
    async_fire_mqtt_message(hass, other, payload)
    await hass.async_block_till_done()
    assert [type(r) for r in reports] == [StatusReport]
    assert reports[0].printer_id == PRINTER_ID
    await transport.stop()


async def test_without_mqtt_integration(hass: HomeAssistant) -> None:
    """Without HA's MQTT integration connect() fails like an unreachable broker."""
    transport = _transport(hass, [])
    with pytest.raises(KobraConnectionError, match="not set up"):
        await transport.connect()
    assert not transport.connected
    with pytest.raises(KobraNotConnectedError):
        await transport.send(commands.query_status())


async def test_start_subscribes_in_background(
    hass: HomeAssistant, ha_mqtt: MockConfigEntry, printer: KobraSimulator
) -> None:
    """start() without connect() subscribes on its own; both transports share one interface."""
    reports: list[Report] = []
    transport: KobraTransport = _transport(hass, reports)
    transport.start()
    await wait_until(lambda: transport.connected)
    await wait_until(lambda: any(isinstance(r, TemperatureReport) for r in reports))
    await transport.stop()
