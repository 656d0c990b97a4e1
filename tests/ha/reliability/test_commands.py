"""Commands (reliability.md §6, cases 11 and 12): never replayed, always QoS 0 without retain.

A bystander client subscribed at QoS 1 sees every command as the broker delivers it (a
message keeps the QoS it was published with, up to the subscription's).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import json
import time
from typing import Any
import uuid

from homeassistant.components.number import ATTR_VALUE, DOMAIN as NUMBER_DOMAIN, SERVICE_SET_VALUE
from homeassistant.components.select import (
    ATTR_OPTION,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.anycubic_kobra2 import coordinator as coordinator_module
from custom_components.anycubic_kobra2.const import DOMAIN
from custom_components.anycubic_kobra2.kobra2 import client as client_module
from kobra2_sim import KobraSimulator
from tests.helpers.brokers import MosquittoBroker
from tests.helpers.entry import entity, make_entry, setup_entry, wait_printer_ready, wait_until

from .common import COMMAND_BASE, COMMAND_FILTER, Watched, watching

type MakeMosquitto = Callable[..., Awaitable[MosquittoBroker]]
type MakePrinter = Callable[..., Awaitable[KobraSimulator]]

NOZZLE = entity("sensor", "nozzle_temperature")
TARGET_NOZZLE = entity("number", "target_nozzle_temperature")
SPEED_MODE = entity("select", "print_speed_mode")
FULL_STATE = {
    ("status", "query"),
    ("print", "query"),
    ("print", "update"),
    ("ota", "reportVersion"),
}
FILE_LISTS = {("file", "listLocal"), ("file", "listUdisk")}


def device_id(hass: HomeAssistant) -> str:
    """Return the printer's device id."""
    registry_entry = er.async_get(hass).async_get(NOZZLE)
    assert registry_entry is not None
    assert registry_entry.device_id is not None
    return registry_entry.device_id


def decoded(message: Watched) -> dict[str, Any]:
    """Return a command message's JSON (fails the test if it is not an object)."""
    data = json.loads(message.payload)
    assert isinstance(data, dict)
    return data


# --- 11 --------------------------------------------------------------------------------------


async def test_command_while_broker_down_fails_and_is_never_replayed(
    hass: HomeAssistant,
    make_mosquitto: MakeMosquitto,
    make_printer: MakePrinter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Checklist r11: A command while the broker is down fails at once with a translated error.

    After the broker is back, a watcher on the command topics receives nothing but the fresh
    full-state queries and file listings within 2 s: the refused command is never replayed.
    """
    broker = await make_mosquitto()
    await make_printer(broker, quiet=True)
    entry = make_entry(broker)
    await setup_entry(hass, entry)
    coordinator = await wait_printer_ready(hass, entry)
    printer_device = device_id(hass)

    # Reconnection waits for this gate, so the watcher is subscribed before any replay could
    # happen (the gate delays attempts; it changes nothing they do).
    gate = asyncio.Event()
    real_open = client_module._open_client  # noqa: SLF001

    async def gated_open(*args: Any, **kwargs: Any) -> Any:
        await gate.wait()
        return await real_open(*args, **kwargs)

    monkeypatch.setattr(client_module, "_open_client", gated_open)
    await broker.stop()
    await wait_until(lambda: not coordinator.client.connected)

    started = time.monotonic()
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            "list_files",
            {"device_id": printer_device},
            blocking=True,
            return_response=True,
        )
    assert time.monotonic() - started < 0.5
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "not_connected"
    assert str(err.value) == "Not connected to the MQTT broker, the command was not sent"

    await broker.start()
    async with watching(broker.port, COMMAND_FILTER) as watcher:
        reconnect_ms = int(time.time() * 1000)
        gate.set()
        await wait_until(lambda: coordinator.client.connected, timeout=5)
        await asyncio.sleep(2.0)
    commands = [decoded(message) for message in watcher.messages]
    # What did arrive is the refresh asked for after reconnecting (the state and the file
    # lists), all of it new: the refused listing would carry its old timestamp.
    assert {(cmd["type"], cmd["action"]) for cmd in commands} == FULL_STATE | FILE_LISTS
    assert all(cmd["timestamp"] >= reconnect_ms - 50 for cmd in commands)
    assert [cmd["action"] for cmd in commands if cmd["type"] == "file"].count("listLocal") == 1


# --- 12 --------------------------------------------------------------------------------------


async def test_every_command_is_qos0_unretained_fresh_and_addressed(
    hass: HomeAssistant,
    make_mosquitto: MakeMosquitto,
    make_printer: MakePrinter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Checklist r12: Every command: QoS 0, retain off, a new UUID msgid, a current timestamp, this printer only.

    A command whose answer never comes (the broker hangs) ends after the configured timeout.
    """
    broker = await make_mosquitto()
    await make_printer(broker, quiet=True)
    entry = make_entry(broker)
    await setup_entry(hass, entry)
    await wait_printer_ready(hass, entry)

    async with watching(broker.port, "#") as watcher:
        before_ms = int(time.time() * 1000)
        await hass.services.async_call(
            NUMBER_DOMAIN,
            SERVICE_SET_VALUE,
            {ATTR_ENTITY_ID: TARGET_NOZZLE, ATTR_VALUE: 200},
            blocking=True,
        )
        await hass.services.async_call(
            SELECT_DOMAIN,
            SERVICE_SELECT_OPTION,
            {ATTR_ENTITY_ID: SPEED_MODE, ATTR_OPTION: "fast"},
            blocking=True,
        )
        await hass.services.async_call(
            DOMAIN,
            "list_files",
            {"device_id": device_id(hass)},
            blocking=True,
            return_response=True,
        )
        after_ms = int(time.time() * 1000)
        await asyncio.sleep(0.3)
    sent = [msg for msg in watcher.messages if "/printer/public/" not in msg.topic]
    assert len(sent) == 3
    msgids = set()
    for message in sent:
        assert message.topic.startswith(f"{COMMAND_BASE}/"), message.topic
        assert message.qos == 0
        assert message.retain is False
        command = decoded(message)
        msgid = uuid.UUID(command["msgid"])
        assert msgid.version == 4
        msgids.add(msgid)
        assert before_ms - 50 <= command["timestamp"] <= after_ms + 50
    assert len(msgids) == 3
    assert [decoded(msg)["action"] for msg in sent] == ["update", "update", "listLocal"]

    # Nothing was retained: a new subscriber to every command topic gets nothing.
    async with watching(broker.port, COMMAND_FILTER) as late:
        await asyncio.sleep(0.5)
    assert late.messages == []

    # The broker hangs: the command is published into the void and the call ends on time.
    monkeypatch.setattr(coordinator_module, "COMMAND_TIMEOUT", 1.0)
    broker.freeze()
    try:
        started = time.monotonic()
        with pytest.raises(HomeAssistantError) as err:
            await hass.services.async_call(
                NUMBER_DOMAIN,
                SERVICE_SET_VALUE,
                {ATTR_ENTITY_ID: TARGET_NOZZLE, ATTR_VALUE: 190},
                blocking=True,
            )
        elapsed = time.monotonic() - started
    finally:
        broker.thaw()
    assert err.value.translation_key == "command_timeout"
    assert 1.0 <= elapsed < 2.0  # the timeout, plus slack for a busy machine
