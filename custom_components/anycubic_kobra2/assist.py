"""Assist: "pause the printer" and "what is the printer's progress" with the default agent.

Home Assistant's built-in sentences only pause media players, so pausing and resuming a print
are sentence triggers of the conversation integration, registered for the printers whose
pause/resume buttons the user exposed to Assist. Questions about progress need nothing but
an alias on the progress sensor: the built-in "what is <name>" sentence finds it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
import logging
import re
from typing import Any, Final

from homeassistant.components.button.const import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.homeassistant.exposed_entities import (
    async_listen_entity_updates,
    async_should_expose,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    EVENT_COMPONENT_LOADED,
    STATE_UNAVAILABLE,
)
from homeassistant.core import CALLBACK_TYPE, Context, Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.script import ScriptRunResult
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.trigger import async_initialize_triggers, async_validate_trigger_config
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER
from .coordinator import KobraConfigEntry, KobraCoordinator

CONVERSATION: Final = "conversation"

PAUSE: Final = "pause"
RESUME: Final = "resume"
# What the generic sentences call the printer or the job.
_GENERIC_PAUSE = ("pause [the|my] [3d] (printer|print|printing|print job)",)
_GENERIC_RESUME = ("(resume|continue|unpause) [the|my] [3d] (printer|print|printing|print job)",)
_NAMED = {
    PAUSE: ("pause [the|my] {name}", "pause [the] print[ing] on [the] {name}"),
    RESUME: (
        "(resume|continue|unpause) [the|my] {name}",
        "(resume|continue|unpause) [the] print[ing] on [the] {name}",
    ),
}

# The spoken answers are translations (exceptions.<key>.message, a category every Home
# Assistant release loads for custom integrations), per action.
_REPLIES: Final = {
    PAUSE: {
        "done": "assist_pausing",
        "not_ready": "assist_not_printing",
        "none_ready": "assist_none_printing",
        "failed": "assist_pause_failed",
    },
    RESUME: {
        "done": "assist_resuming",
        "not_ready": "assist_not_paused",
        "none_ready": "assist_none_paused",
        "failed": "assist_resume_failed",
    },
}
_WHICH_PRINTER: Final = "assist_which_printer"

# Aliases of the progress sensor, so "what is the printer's progress" finds it.
PROGRESS_KEY: Final = "progress"
PROGRESS_ALIASES: Final = frozenset({"printer progress", "printer's progress", "print progress"})
_ALIASES_OPTION: Final = "assist_aliases"

# Characters that mean something in sentence templates; names with them get no sentence.
_TEMPLATE_CHARS = re.compile(r"[\[\]{}()<>|;]")

DATA_ASSIST: HassKey[AssistSentences] = HassKey(f"{DOMAIN}_assist")


@dataclass(frozen=True, slots=True)
class _Target:
    """One printer's button for one action."""

    name: str
    entity_id: str


def _entity_id(hass: HomeAssistant, coordinator: KobraCoordinator, key: str, platform: str) -> str:
    """Return the entity id of one of the printer's entities ("" when not registered)."""
    unique_id = f"{coordinator.printer_id}_{key}"
    return er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id) or ""


def _printer_name(hass: HomeAssistant, coordinator: KobraCoordinator) -> str:
    """Return the printer's device name as the user knows it."""
    entry = coordinator.config_entry
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id):
        if (DOMAIN, coordinator.printer_id) in device.identifiers:
            return device.name_by_user or device.name or entry.title
    return entry.title


class AssistSentences:
    """Keeps the pause/resume sentences in line with the loaded printers and their exposure."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start with no printers."""
        self.hass = hass
        self._coordinators: dict[str, KobraCoordinator] = {}
        self._unsub_triggers: list[CALLBACK_TYPE] = []
        self._unsub_listeners: list[CALLBACK_TYPE] = []
        self._update_task: asyncio.Task[None] | None = None
        self._dirty = False

    @callback
    def async_add(self, coordinator: KobraCoordinator) -> CALLBACK_TYPE:
        """Offer a printer to Assist; return the function that withdraws it."""
        entry_id = coordinator.config_entry.entry_id
        self._coordinators[entry_id] = coordinator
        if not self._unsub_listeners:
            self._listen()
        self.async_schedule_update()

        @callback
        def remove() -> None:
            """Withdraw the printer."""
            if self._coordinators.get(entry_id) is coordinator:
                del self._coordinators[entry_id]
            self.async_schedule_update()

        return remove

    def _listen(self) -> None:
        """Follow exposure settings, and the conversation integration being set up."""

        @callback
        def _component_loaded(event: Event[Any]) -> None:
            if event.data.get("component") == CONVERSATION:
                self._listen_exposure()
                self.async_schedule_update()

        self._unsub_listeners.append(
            self.hass.bus.async_listen(EVENT_COMPONENT_LOADED, _component_loaded)
        )
        if CONVERSATION in self.hass.config.components:
            self._listen_exposure()

    def _listen_exposure(self) -> None:
        """Rebuild the sentences whenever what is exposed to Assist changes."""
        try:
            unsub = async_listen_entity_updates(self.hass, CONVERSATION, self.async_schedule_update)
        except KeyError:  # exposure settings not set up (no homeassistant integration)
            return
        self._unsub_listeners.append(unsub)

    @callback
    def async_schedule_update(self) -> None:
        """Rebuild the sentences soon (changes in one loop iteration are handled once)."""
        self._dirty = True
        if self._update_task is None or self._update_task.done():
            self._update_task = self.hass.async_create_task(
                self._async_update_loop(), f"{DOMAIN} assist sentences"
            )

    async def _async_update_loop(self) -> None:
        """Rebuild until no change is pending."""
        while self._dirty:
            self._dirty = False
            await asyncio.sleep(0)
            try:
                await self._async_update()
            except Exception:  # sentences are a convenience; never break the integration
                LOGGER.exception("Could not register the Assist sentences")

    async def _async_update(self) -> None:
        """Register the sentences of the exposed printers, dropping the old ones."""
        for unsub in self._unsub_triggers:
            unsub()
        self._unsub_triggers = []
        if CONVERSATION not in self.hass.config.components:
            return
        for action, key, generic in (
            (PAUSE, "pause", _GENERIC_PAUSE),
            (RESUME, "resume", _GENERIC_RESUME),
        ):
            targets = self._exposed_targets(key)
            if not targets:
                continue
            await self._async_register(list(generic), action, targets)
            for target in targets:
                if _TEMPLATE_CHARS.search(target.name) or not target.name.strip():
                    continue
                sentences = [s.replace("{name}", target.name) for s in _NAMED[action]]
                await self._async_register(sentences, action, [target])

    def _exposed_targets(self, key: str) -> list[_Target]:
        """Return the buttons of one kind that the user exposed to Assist."""
        targets = []
        for coordinator in self._coordinators.values():
            entity_id = _entity_id(self.hass, coordinator, key, BUTTON_DOMAIN)
            if entity_id and async_should_expose(self.hass, CONVERSATION, entity_id):
                targets.append(_Target(_printer_name(self.hass, coordinator), entity_id))
        return targets

    async def _async_register(
        self, sentences: list[str], action: str, targets: list[_Target]
    ) -> None:
        """Register one sentence trigger whose action presses one of the targets' buttons."""
        config = await async_validate_trigger_config(
            self.hass, [{"platform": CONVERSATION, "command": sentences}]
        )

        async def _run(run_variables: dict[str, Any], context: Context | None = None) -> Any:
            """Press the button and say what happened, in the conversation's language."""
            user_input = (run_variables.get("trigger") or {}).get("user_input") or {}
            language = user_input.get("language") or self.hass.config.language
            speech = await self._async_press(action, targets, context, language)
            return ScriptRunResult(
                conversation_response=speech, service_response=None, variables={}
            )

        unsub = await async_initialize_triggers(
            self.hass, config, _run, DOMAIN, f"{DOMAIN} assist {action}", _log
        )
        if unsub is not None:
            self._unsub_triggers.append(unsub)

    async def _async_press(
        self, action: str, targets: list[_Target], context: Context | None, language: str
    ) -> str:
        """Press the button of the one printer meant; return the spoken answer."""
        ready = [t for t in targets if self._available(t.entity_id)]
        replies = _REPLIES[action]
        if not ready:
            if len(targets) == 1:
                return await async_reply(self.hass, language, replies["not_ready"], targets[0].name)
            return await async_reply(self.hass, language, replies["none_ready"])
        if len(ready) > 1:
            names = ", ".join(t.name for t in ready)
            return await async_reply(self.hass, language, _WHICH_PRINTER, names=names)
        target = ready[0]
        try:
            await self.hass.services.async_call(
                BUTTON_DOMAIN,
                SERVICE_PRESS,
                {ATTR_ENTITY_ID: target.entity_id},
                blocking=True,
                context=context,
            )
        except HomeAssistantError as err:
            reason = await _async_reason(self.hass, language, err)
            return await async_reply(
                self.hass, language, replies["failed"], target.name, error=reason
            )
        return await async_reply(self.hass, language, replies["done"], target.name)

    def _available(self, entity_id: str) -> bool:
        """Return whether a button can be pressed now."""
        state = self.hass.states.get(entity_id)
        return state is not None and state.state != STATE_UNAVAILABLE

    @callback
    def async_shutdown(self) -> None:
        """Drop every sentence and listener."""
        for unsub in (*self._unsub_triggers, *self._unsub_listeners):
            unsub()
        self._unsub_triggers = []
        self._unsub_listeners = []
        if self._update_task is not None:
            self._update_task.cancel()


async def async_reply(
    hass: HomeAssistant, language: str, key: str, name: str = "", **placeholders: str
) -> str:
    """Return one spoken answer in the given language (English where it has no translation)."""
    translations = await async_get_translations(hass, language, "exceptions", [DOMAIN])
    message = translations[f"component.{DOMAIN}.exceptions.{key}.message"]
    return message.format(name=name, **placeholders)


async def _async_reason(hass: HomeAssistant, language: str, err: HomeAssistantError) -> str:
    """Return why a press failed, in the given language when the error is one of ours."""
    if err.translation_domain != DOMAIN or not err.translation_key:
        return str(err)  # Home Assistant's own errors come in English only
    try:
        return await async_reply(
            hass, language, err.translation_key, **(err.translation_placeholders or {})
        )
    except KeyError:
        return str(err)


def _log(level: int, msg: str, **kwargs: Any) -> None:
    """Log for the trigger helper (its routine INFO lines at DEBUG)."""
    LOGGER.log(logging.DEBUG if level <= logging.INFO else level, msg, **kwargs)


def _with_progress_aliases(current: Any) -> Any:
    """Return the entity's aliases plus the progress aliases, in the registry's own form."""
    if isinstance(current, list):
        # Home Assistant 2026+: an ordered list in which a marker stands for the entity's
        # own name; keep the name usable when the list was empty (it then meant the name).
        aliases = list(current) or [getattr(er, "COMPUTED_NAME")]  # noqa: B009
        return aliases + [alias for alias in sorted(PROGRESS_ALIASES) if alias not in aliases]
    return set(current) | PROGRESS_ALIASES


def _own_options(entity: er.RegistryEntry) -> Mapping[str, Any]:
    """Return the options this integration keeps on a registry entry."""
    return entity.options.get(DOMAIN) or {}


@callback
def async_suggest_aliases(hass: HomeAssistant, coordinator: KobraCoordinator) -> None:
    """Give the progress sensor the "printer's progress" aliases, once, if no other printer has them.

    Aliases belong to the user: they are added only the first time (marked in the entity's
    options), so aliases the user removes or changes stay as the user left them.
    """
    registry = er.async_get(hass)
    entity_id = _entity_id(hass, coordinator, PROGRESS_KEY, "sensor")
    if not entity_id or (entity := registry.async_get(entity_id)) is None:
        return
    if _own_options(entity).get(_ALIASES_OPTION):
        return
    taken = any(
        _own_options(other).get(_ALIASES_OPTION) and PROGRESS_ALIASES.intersection(other.aliases)
        for other in registry.entities.values()
        if other.platform == DOMAIN and other.entity_id != entity_id
    )
    if not taken:
        registry.async_update_entity(entity_id, aliases=_with_progress_aliases(entity.aliases))
    registry.async_update_entity_options(
        entity_id, DOMAIN, {**_own_options(entity), _ALIASES_OPTION: not taken}
    )


@callback
def async_setup_entry_assist(hass: HomeAssistant, entry: KobraConfigEntry) -> None:
    """Offer the entry's printer to Assist (sentences and aliases) until it unloads."""
    coordinator = entry.runtime_data
    async_suggest_aliases(hass, coordinator)
    if (sentences := hass.data.get(DATA_ASSIST)) is None:
        sentences = hass.data[DATA_ASSIST] = AssistSentences(hass)
    entry.async_on_unload(sentences.async_add(coordinator))


def sentences_for(action: str, name: str) -> list[str]:
    """Return the sentence templates naming one printer (for documentation and tests)."""
    return [s.replace("{name}", name) for s in _NAMED[action]]
