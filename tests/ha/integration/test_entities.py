"""Entities: snapshots of every platform, and commands round-tripping through the simulator."""

from __future__ import annotations

from datetime import timedelta
import json
from unittest.mock import patch

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.number import ATTR_VALUE, DOMAIN as NUMBER_DOMAIN, SERVICE_SET_VALUE
from homeassistant.components.select import (
    ATTR_OPTION,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.anycubic_kobra2.const import CONF_TOPIC_STYLE, DOMAIN
from custom_components.anycubic_kobra2.kobra2 import commands
from custom_components.anycubic_kobra2.kobra2.models import SpeedMode, TopicStyle
from kobra2_sim import KobraSimulator
from tests.helpers.brokers import AmqttBroker
from tests.helpers.entry import (
    MakePrinter,
    available,
    entity,
    make_entry,
    settle,
    setup_entry,
    sim_config,
    state_of,
    wait_printer_ready,
    wait_until,
)

FILE = "calibration_cube_20mm.gcode"
TASK = "4242"
BUTTONS = ("pause", "resume", "stop", "cancel")
PRINT_STATE = entity("sensor", "print_state")


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "platform",
    [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.NUMBER, Platform.SELECT, Platform.SENSOR],
)
async def test_platform_snapshot(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    mock_config_entry: MockConfigEntry,
    printer: KobraSimulator,
    platform: Platform,
) -> None:
    """Every entity of the platform, as an idle printer shows it."""
    with patch("custom_components.anycubic_kobra2.PLATFORMS", [platform]):
        await setup_entry(hass, mock_config_entry)
        coordinator = await wait_printer_ready(hass, mock_config_entry)
    if platform in (Platform.SELECT, Platform.BUTTON):
        # The file entities list both storages as soon as the printer is there.
        await wait_until(lambda: len(coordinator.state.files) == 2)
        await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


@pytest.fixture
async def fast_printer(amqtt: AmqttBroker, make_printer: MakePrinter) -> KobraSimulator:
    """Provide a simulator whose heaters and transitions are quick, for print-job flows."""
    return await make_printer(amqtt, time_scale=100.0)


@pytest.fixture
async def printing_entry(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, fast_printer: KobraSimulator
) -> MockConfigEntry:
    """Set up the entry and start a print job with task id 4242 from Home Assistant."""
    await setup_entry(hass, mock_config_entry)
    coordinator = await wait_printer_ready(hass, mock_config_entry)
    assert [state_of(hass, entity("button", f"{key}_print")) for key in BUTTONS] == [
        STATE_UNAVAILABLE
    ] * 4
    await coordinator.async_command(commands.start_local_print(FILE, taskid=TASK))
    await wait_until(lambda: state_of(hass, PRINT_STATE) == "printing")
    return mock_config_entry


async def press(hass: HomeAssistant, key: str) -> None:
    """Press one of the printer's buttons."""
    await hass.services.async_call(
        BUTTON_DOMAIN,
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: entity("button", f"{key}_print")},
        blocking=True,
    )


def button_states(hass: HomeAssistant) -> dict[str, bool]:
    """Return which job buttons are available."""
    return {key: available(hass, entity("button", f"{key}_print")) for key in BUTTONS}


async def test_pause_resume_stop(
    hass: HomeAssistant, printing_entry: MockConfigEntry, fast_printer: KobraSimulator
) -> None:
    """Each button sends its command for the running job; the printer's answers drive the state."""
    assert button_states(hass) == {"pause": True, "resume": False, "stop": True, "cancel": True}
    assert state_of(hass, entity("binary_sensor", "printing")) == STATE_ON
    assert state_of(hass, entity("sensor", "current_file")) == FILE

    await press(hass, "pause")
    command = await fast_printer.wait_for_command("print", "pause")
    assert command.data == {"taskid": TASK}
    await wait_until(lambda: state_of(hass, PRINT_STATE) == "paused")
    assert button_states(hass) == {"pause": False, "resume": True, "stop": True, "cancel": True}
    assert state_of(hass, entity("binary_sensor", "printing")) == STATE_ON

    await press(hass, "resume")
    command = await fast_printer.wait_for_command("print", "resume")
    assert command.data == {"taskid": TASK}
    await wait_until(lambda: state_of(hass, PRINT_STATE) == "printing")

    await press(hass, "stop")
    command = await fast_printer.wait_for_command("print", "stop")
    assert command.data == {"taskid": TASK}
    await wait_until(lambda: state_of(hass, PRINT_STATE) == "stopped")
    assert button_states(hass) == dict.fromkeys(BUTTONS, False)
    assert state_of(hass, entity("binary_sensor", "printing")) == STATE_OFF
    assert fast_printer.state.print_state == "stoped"


async def test_cancel(
    hass: HomeAssistant, printing_entry: MockConfigEntry, fast_printer: KobraSimulator
) -> None:
    """Cancel sends `print/cancel` with the job's task id and ends the job."""
    await press(hass, "cancel")
    command = await fast_printer.wait_for_command("print", "cancel")
    assert command.data == {"taskid": TASK}
    await wait_until(lambda: state_of(hass, PRINT_STATE) == "stopped")


async def test_job_sensors_while_printing(
    hass: HomeAssistant, printing_entry: MockConfigEntry, fast_printer: KobraSimulator
) -> None:
    """Values the Kobra 2 never fills are not shown wrong: layers 0/-1 and remaining time 0.

    Current and total layers are unknown; time left and finish come from a slicer header, the
    printer's slice data or the progress rate (tests/ha/integration/test_job_insight.py).
    """
    await wait_until(lambda: state_of(hass, entity("sensor", "progress")) not in ("unknown", "0"))
    assert int(state_of(hass, entity("sensor", "progress"))) > 0
    assert state_of(hass, entity("sensor", "current_layer")) == STATE_UNKNOWN
    assert state_of(hass, entity("sensor", "total_layers")) == STATE_UNKNOWN
    assert state_of(hass, entity("number", "target_nozzle_temperature")) == "210.0"


@pytest.mark.parametrize(
    ("key", "value", "setting", "expected_state"),
    [
        ("target_nozzle_temperature", 200, ("target_nozzle_temp", 200), "200.0"),
        ("target_bed_temperature", 65, ("target_hotbed_temp", 65), "65.0"),
        ("fan_speed", 55, ("fan_speed_pct", 55), "55"),
        ("z_offset", -0.15, ("z_comp", -0.15), "-0.15"),
    ],
)
async def test_numbers(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    printer: KobraSimulator,
    key: str,
    value: float,
    setting: tuple[str, float],
    expected_state: str,
) -> None:
    """A number sends exactly one setting in `print/update`; the printer's snapshot sets the state."""
    entity_id = entity("number", key)
    await hass.services.async_call(
        NUMBER_DOMAIN,
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: entity_id, ATTR_VALUE: value},
        blocking=True,
    )
    command = await printer.wait_for_command("print", "update")
    # The first update is the settings query of the setup; skip to the one carrying a value.
    while "settings" not in command.data:
        command = await printer.wait_for_command("print", "update")
    assert command.data == {"taskid": "0", "settings": dict([setting])}
    await wait_until(lambda: state_of(hass, entity_id) == expected_state)


async def test_number_limits_come_from_the_model(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Ranges are the Kobra 2's real limits, and values outside them are refused before sending."""
    nozzle = hass.states.get(entity("number", "target_nozzle_temperature"))
    bed = hass.states.get(entity("number", "target_bed_temperature"))
    assert nozzle is not None
    assert bed is not None
    assert (nozzle.attributes["min"], nozzle.attributes["max"]) == (0, 260)
    assert (bed.attributes["min"], bed.attributes["max"]) == (0, 110)
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            NUMBER_DOMAIN,
            SERVICE_SET_VALUE,
            {ATTR_ENTITY_ID: entity("number", "target_nozzle_temperature"), ATTR_VALUE: 300},
            blocking=True,
        )


async def test_speed_mode_select(
    hass: HomeAssistant, init_integration: MockConfigEntry, printer: KobraSimulator
) -> None:
    """The speed mode select sends `print_speed_mode` and follows the printer's answer."""
    entity_id = entity("select", "print_speed_mode")
    assert state_of(hass, entity_id) == "normal"
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: entity_id, ATTR_OPTION: "fast"},
        blocking=True,
    )
    await wait_until(lambda: state_of(hass, entity_id) == "fast")
    assert init_integration.runtime_data.coordinator.state.speed_mode is SpeedMode.FAST
    assert printer.state.print_speed_mode == 3


async def test_command_timeout(
    hass: HomeAssistant, amqtt: AmqttBroker, printer: KobraSimulator
) -> None:
    """A printer that ignores the command (wrong topic style for its firmware) gives a translated error."""
    await printer.stop()
    strict = KobraSimulator(sim_config(amqtt, strict_topics=True))
    await strict.start()
    entry = make_entry(amqtt, options={CONF_TOPIC_STYLE: TopicStyle.ACTION.value})
    try:
        # The full-state queries are ignored too, so wait for the unprompted reports only.
        await setup_entry(hass, entry)
        await wait_until(lambda: available(hass, entity("select", "print_speed_mode")))
        with (
            patch("custom_components.anycubic_kobra2.coordinator.COMMAND_TIMEOUT", 0.3),
            pytest.raises(HomeAssistantError) as err,
        ):
            await hass.services.async_call(
                SELECT_DOMAIN,
                SERVICE_SELECT_OPTION,
                {ATTR_ENTITY_ID: entity("select", "print_speed_mode"), ATTR_OPTION: "slow"},
                blocking=True,
            )
        assert err.value.translation_domain == DOMAIN
        assert err.value.translation_key == "command_timeout"
        assert err.value.translation_placeholders == {"command": "print/update"}
    finally:
        await strict.stop()


async def test_command_refused(hass: HomeAssistant, printing_entry: MockConfigEntry) -> None:
    """A command the printer answers with `failed` raises command_failed with its reason."""
    coordinator = printing_entry.runtime_data.coordinator
    with pytest.raises(HomeAssistantError) as err:
        await coordinator.async_command(commands.resume_print(TASK))
    assert err.value.translation_key == "command_failed"
    assert err.value.translation_placeholders == {
        "command": "print/resume",
        "error": "cannot resume while printing",
    }


async def test_command_without_broker_or_printer(hass: HomeAssistant, amqtt: AmqttBroker) -> None:
    """Commands are refused at once (not queued) when the printer or the broker is gone."""
    sim = KobraSimulator(sim_config(amqtt, quiet=True))
    await sim.start()
    entry = make_entry(amqtt)
    try:
        await setup_entry(hass, entry)
        coordinator = await wait_printer_ready(hass, entry)
        await settle(coordinator, sim)
        sim.crash()
        await wait_until(lambda: not coordinator.printer_available)
        with pytest.raises(HomeAssistantError) as err:
            await coordinator.async_command(commands.query_status())
        assert err.value.translation_key == "printer_offline"

        await amqtt.stop()
        await wait_until(lambda: not coordinator.broker_connected)
        with pytest.raises(HomeAssistantError) as err:
            await coordinator.async_command(commands.query_status())
        assert err.value.translation_key == "not_connected"
    finally:
        await sim.stop()


async def test_remaining_time_when_the_printer_knows_it(
    hass: HomeAssistant, printing_entry: MockConfigEntry, fast_printer: KobraSimulator
) -> None:
    """A printer that does report time left gets remaining time and a finish time pinned to the report."""
    report = {
        "type": "print",
        "action": "start",
        "msgid": "7e0cbbcb-4d4c-4c8e-a1c4-2b0f3f3f6a11",
        "state": "printing",
        "timestamp": 1709900123456,
        "code": 200,
        "msg": "",
        "data": {
            "taskid": TASK,
            "filename": FILE,
            "progress": 42,
            "print_time": 35,
            "remain_time": 30,
            "supplies_usage": 1234,
            "curr_layer": 57,
            "total_layers": 120,
        },
    }
    before = dt_util.utcnow()
    await fast_printer.publish_raw("print/report", json.dumps(report).encode())
    await wait_until(lambda: state_of(hass, entity("sensor", "remaining_time")) == "30")
    finish = dt_util.parse_datetime(state_of(hass, entity("sensor", "estimated_finish")))
    assert finish is not None
    expected = before + timedelta(minutes=30)
    assert abs(finish - expected) <= timedelta(minutes=1)
    assert state_of(hass, entity("sensor", "current_layer")) == "57"
    assert state_of(hass, entity("sensor", "total_layers")) == "120"
