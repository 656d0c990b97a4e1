"""Device triggers of a Kobra 2: print started, paused, resumed, finished, failed or stopped.

They fire on the printer's event entity, so a device trigger and an automation on the event
entity (or a blueprint) see exactly the same events.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.event import ATTR_EVENT_TYPE
from homeassistant.const import (
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_ENTITY_ID,
    CONF_PLATFORM,
    CONF_TYPE,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HassJob,
    HomeAssistant,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType

from .compat import vol
from .const import DOMAIN
from .event import DESCRIPTION
from .kobra2 import EVENT_TYPES

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend({vol.Required(CONF_TYPE): vol.In(EVENT_TYPES)})


def _event_entity(hass: HomeAssistant, device_id: str) -> str | None:
    """Return the print event entity of a printer's device."""
    for entry in er.async_entries_for_device(er.async_get(hass), device_id):
        if (
            entry.platform == DOMAIN
            and entry.domain == "event"
            and entry.unique_id.endswith(f"_{DESCRIPTION.key}")
        ):
            return entry.entity_id
    return None


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """List the print triggers of a printer's device (none for devices without the entity)."""
    if _event_entity(hass, device_id) is None:
        return []
    return [
        {CONF_PLATFORM: "device", CONF_DOMAIN: DOMAIN, CONF_DEVICE_ID: device_id, CONF_TYPE: kind}
        for kind in EVENT_TYPES
    ]


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Run the action whenever the device's event entity fires an event of the trigger's type."""
    device_id: str = config[CONF_DEVICE_ID]
    kind: str = config[CONF_TYPE]
    entity_id = _event_entity(hass, device_id)
    if entity_id is None:
        # The device lost its event entity; the automation simply never runs.
        return lambda: None
    job = HassJob(action, f"{DOMAIN} device trigger {kind}")
    trigger_data = trigger_info["trigger_data"]

    @callback
    def _handle(event: Event[EventStateChangedData]) -> None:
        """Fire on a new event of the right type.

        A state restored at start (no old state) or coming back after unavailability repeats
        an old event; only a new timestamp on an entity that was there is a new one.
        """
        new, old = event.data["new_state"], event.data["old_state"]
        if new is None or new.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            return
        if old is None or old.state in (STATE_UNAVAILABLE, new.state):
            return
        if new.attributes.get(ATTR_EVENT_TYPE) != kind:
            return
        variables = {
            "trigger": {
                **trigger_data,
                CONF_PLATFORM: "device",
                CONF_DOMAIN: DOMAIN,
                CONF_DEVICE_ID: device_id,
                CONF_TYPE: kind,
                CONF_ENTITY_ID: entity_id,
                "from_state": old,
                "to_state": new,
                "description": f"{kind} event of {entity_id}",
            }
        }
        hass.async_run_hass_job(job, variables, event.context)

    return async_track_state_change_event(hass, entity_id, _handle)
