"""The command topic style option against printers that obey topics by their firmware version."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.components.select import (
    ATTR_OPTION,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest

from custom_components.anycubic_kobra2.const import CONF_TOPIC_STYLE, DOMAIN
from custom_components.anycubic_kobra2.kobra2.models import TopicStyle
from kobra2_sim import KobraSimulator, ReceivedCommand
from tests.helpers.brokers import AmqttBroker
from tests.helpers.entry import (
    available,
    entity,
    make_entry,
    setup_entry,
    sim_config,
    wait_printer_ready,
    wait_until,
)

SPEED = entity("select", "print_speed_mode")
# Where print/update lands after the printer id, per style.
SUFFIX = {
    TopicStyle.TYPE: "/print",
    TopicStyle.TYPE_ACTION: "/print/update",
    TopicStyle.ACTION: "/update",
}


def _settings(command: ReceivedCommand) -> object:
    """Return the settings a print/update command carries (None for other commands)."""
    if (command.type, command.action) != ("print", "update") or not isinstance(command.data, dict):
        return None
    return command.data.get("settings")


async def _select_slow(hass: HomeAssistant) -> None:
    """Set the print speed to slow through the select entity (waits for the printer's answer)."""
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: SPEED, ATTR_OPTION: "slow"},
        blocking=True,
    )


@pytest.mark.parametrize(
    ("firmware", "style"),
    [
        ("3.1.2", None),
        ("3.0.9", None),
        ("3.0.9", TopicStyle.TYPE_ACTION),
        ("3.0.9", TopicStyle.ACTION),
    ],
    ids=["3.1.2-default", "3.0.9-default", "3.0.9-type_action", "3.0.9-action"],
)
async def test_style_the_firmware_obeys(
    hass: HomeAssistant, amqtt: AmqttBroker, firmware: str, style: TopicStyle | None
) -> None:
    """The per-type default works on 3.1.x and older firmware; older ones take every style."""
    sim = KobraSimulator(sim_config(amqtt, firmware=firmware))
    await sim.start()
    entry = make_entry(amqtt, options={} if style is None else {CONF_TOPIC_STYLE: style.value})
    try:
        await setup_entry(hass, entry)
        # Replies carry no command id, so the start-up queries must be answered first.
        await wait_printer_ready(hass, entry)
        assert entry.runtime_data.coordinator.topic_style is (style or TopicStyle.TYPE)
        await _select_slow(hass)
        assert sim.state.print_speed_mode == 1
        command = await sim.wait_for_command("print", "update")
        while _settings(command) != {"print_speed_mode": 1}:
            command = await sim.wait_for_command("print", "update")
        assert command.handled
        assert command.topic == sim.command_base + SUFFIX[style or TopicStyle.TYPE]
    finally:
        assert await hass.config_entries.async_unload(entry.entry_id)
        await sim.stop()


@pytest.mark.parametrize("style", [TopicStyle.TYPE_ACTION, TopicStyle.ACTION])
async def test_older_styles_time_out_on_3_1(
    hass: HomeAssistant, amqtt: AmqttBroker, style: TopicStyle
) -> None:
    """Firmware 3.1.x ignores the older styles: the command times out with the translated error."""
    sim = KobraSimulator(sim_config(amqtt, firmware="3.1.2"))
    await sim.start()
    entry = make_entry(amqtt, options={CONF_TOPIC_STYLE: style.value})
    try:
        # The full-state queries are ignored too, so only the unprompted reports arrive.
        await setup_entry(hass, entry)
        await wait_until(lambda: available(hass, SPEED))
        with (
            patch("custom_components.anycubic_kobra2.coordinator.COMMAND_TIMEOUT", 0.3),
            pytest.raises(HomeAssistantError) as err,
        ):
            await _select_slow(hass)
        assert err.value.translation_domain == DOMAIN
        assert err.value.translation_key == "command_timeout"
        assert err.value.translation_placeholders == {"command": "print/update"}
        assert sim.state.print_speed_mode == 2
        # The printer got it on the style's topic and left it alone.
        await wait_until(lambda: any(_settings(c) is not None for c in sim.received))
        ignored = [c for c in sim.received if _settings(c) is not None]
        assert [_settings(c) for c in ignored] == [{"print_speed_mode": 1}]
        assert ignored[0].topic == sim.command_base + SUFFIX[style]
        assert not any(c.handled for c in sim.received)
    finally:
        assert await hass.config_entries.async_unload(entry.entry_id)
        await sim.stop()
