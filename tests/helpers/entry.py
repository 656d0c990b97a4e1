"""Config entries, waiting and state look-ups for the tests that run Home Assistant.

The fixtures built on these live in tests/ha/conftest.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
import json
import time
from typing import Any
import uuid

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.anycubic_kobra2.const import (
    CONF_CA_CERT,
    CONF_CLIENT_CERT,
    CONF_CLIENT_KEY,
    CONF_MODEL_ID,
    CONF_PRINTER_ID,
    CONF_TLS,
    DOMAIN,
)
from custom_components.anycubic_kobra2.coordinator import KobraCoordinator
from kobra2_sim import KobraSimulator, SimulatorConfig
from tests.helpers.brokers import AnyBroker, free_port
from tests.helpers.payloads import MODEL_ID, PRINTER_ID

TITLE = "Kobra 2 Pro"
# A factory for the test printer: (broker, **simulator settings) -> started simulator.
type MakePrinter = Callable[..., Awaitable[KobraSimulator]]
# Entity ids follow from the device name (the entry title).
ENTITY_PREFIX = "kobra_2_pro"
# What the integration asks a printer for when it (re)connects, in order.
FULL_STATE = [
    ("status", "query"),
    ("print", "query"),
    ("print", "update"),
    ("ota", "reportVersion"),
]
# Read as soon as the printer is there, so the file selects offer its files at once.
FILE_LISTS = [("file", "listLocal"), ("file", "listUdisk")]


def entity(domain: str, key: str) -> str:
    """Return the entity id of one of the printer's entities."""
    return f"{domain}.{ENTITY_PREFIX}_{key}"


def broker_data(broker: AnyBroker, **extra: Any) -> dict[str, Any]:
    """Return entry data (broker part) for a test broker."""
    data: dict[str, Any] = {
        CONF_HOST: broker.host,
        CONF_PORT: broker.port,
        CONF_USERNAME: None,
        CONF_PASSWORD: None,
        CONF_TLS: False,
        CONF_VERIFY_SSL: True,
        CONF_CA_CERT: None,
        CONF_CLIENT_CERT: None,
        CONF_CLIENT_KEY: None,
    }
    data.update(extra)
    return data


def entry_data(broker: AnyBroker, **extra: Any) -> dict[str, Any]:
    """Return complete entry data for the test printer on a test broker."""
    return {**broker_data(broker, **extra), CONF_MODEL_ID: MODEL_ID, CONF_PRINTER_ID: PRINTER_ID}


def make_entry(
    broker: AnyBroker, *, options: dict[str, Any] | None = None, **extra: Any
) -> MockConfigEntry:
    """Create the config entry of the test printer (not yet added to hass)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=TITLE,
        unique_id=PRINTER_ID,
        data=entry_data(broker, **extra),
        options=options or {},
    )


def sim_config(broker: AnyBroker, **overrides: Any) -> SimulatorConfig:
    """Return simulator settings for the test printer on a broker."""
    settings: dict[str, Any] = {
        "host": broker.host,
        "port": broker.port,
        "model_id": MODEL_ID,
        "printer_id": PRINTER_ID,
        # Fast transitions keep print-flow tests short; idle values stay at ambient.
        "time_scale": 20.0,
        "transition_seconds": 0.2,
        # Frequent reports let discovery in the config flow finish quickly.
        "temp_interval": 0.25,
    }
    if overrides.pop("quiet", False):
        # A printer that only speaks when spoken to, so tests control every report.
        settings.update(temp_interval=3600.0, report_interval=3600.0)
    settings.update(overrides)
    return SimulatorConfig(**settings)


async def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> float:
    """Wait (in real time, the broker is real) until condition() holds; return the seconds it took."""
    start = time.monotonic()
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)
    return time.monotonic() - start


def available(hass: HomeAssistant, entity_id: str) -> bool:
    """Return whether an entity exists and is not unavailable."""
    state = hass.states.get(entity_id)
    return state is not None and state.state != STATE_UNAVAILABLE


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """Return the state string of an entity (fails the test when it does not exist)."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} does not exist"
    return state.state


async def settle(coordinator: KobraCoordinator, sim: KobraSimulator) -> None:
    """Wait until everything the simulator published so far has reached the coordinator.

    A marker report goes out after all earlier ones; brokers keep one client's messages in
    order, so once the marker is in, nothing older is still in flight.
    """
    marker = uuid.uuid4().hex
    seen: list[str] = []
    remove = coordinator.async_add_report_listener(
        lambda report: seen.append(report.envelope.msgid)
    )
    try:
        payload = {
            "type": "marker",
            "action": "ping",
            "msgid": marker,
            "state": "done",
            "data": None,
        }
        await sim.publish_raw("marker/report", json.dumps(payload).encode())
        await wait_until(lambda: marker in seen)
    finally:
        remove()


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add and set up an entry, waiting until setup finished."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def wait_printer_ready(hass: HomeAssistant, entry: MockConfigEntry) -> KobraCoordinator:
    """Wait until the printer answered the full-state request (all values known)."""
    assert entry.state is ConfigEntryState.LOADED
    coordinator: KobraCoordinator = entry.runtime_data.coordinator
    state = coordinator.state

    def ready() -> bool:
        return (
            coordinator.printer_available
            and state.firmware_version is not None
            and state.speed_mode is not None
            and state.status is not None
            and state.nozzle is not None
            and state.fan_speed_pct is not None
        )

    await wait_until(ready)
    await hass.async_block_till_done()
    return coordinator


async def setup_ha_mqtt(
    hass: HomeAssistant, broker: AnyBroker, *, discovery: bool = False
) -> MockConfigEntry:
    """Set up Home Assistant's real MQTT integration (paho, no mock) on a test broker.

    Discovery is off unless asked for: it subscribes to every integration's discovery
    topics, and a broker restart in the middle of that makes HA wait 10 s for lost ACKs.
    """
    entry = MockConfigEntry(
        domain=mqtt.DOMAIN,
        title="MQTT",
        data={mqtt.CONF_BROKER: broker.host, "port": broker.port},
        # No birth message: nothing but the printer's traffic on the test broker.
        options={mqtt.CONF_BIRTH_MESSAGE: {}, mqtt.CONF_DISCOVERY: discovery},
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await wait_until(lambda: mqtt.is_connected(hass))
    return entry


@contextlib.asynccontextmanager
async def ha_http_server(hass: HomeAssistant) -> AsyncIterator[str]:
    """Run Home Assistant's HTTP server on a free loopback port as its internal URL; yield the URL.

    The test plugin patches the server away; a module that needs it (the printer downloads files
    from it) also overrides the plugin's `disable_http_server` fixture.
    """
    port = free_port()
    assert await async_setup_component(
        hass, "http", {"http": {"server_host": ["127.0.0.1"], "server_port": port}}
    )
    await hass.http.start()
    base = f"http://127.0.0.1:{port}"
    await hass.config.async_update(internal_url=base)
    try:
        yield base
    finally:
        await hass.http.stop()
