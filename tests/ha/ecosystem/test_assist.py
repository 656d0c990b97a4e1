"""Assist: the two promised sentences resolve through Home Assistant's default conversation agent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import entity_registry as er, intent
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.anycubic_kobra2 import assist
from custom_components.anycubic_kobra2.const import DOMAIN
from custom_components.anycubic_kobra2.kobra2.models import PrintPhase
from kobra2_sim import KobraSimulator
from tests.helpers.brokers import AmqttBroker
from tests.helpers.entry import PRINTER_ID, make_entry, setup_entry, wait_until


def _entity_id(hass: HomeAssistant, platform: str, key: str) -> str:
    """Return the entity id of one of the printer's entities, by its unique id."""
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{PRINTER_ID}_{key}")
    assert entity_id is not None
    return entity_id


def _a_file(printer: KobraSimulator) -> str:
    """Return the path of a printable file on the simulator's internal storage."""
    return next(path for path, file in printer.local_files.items() if not file.is_dir)


async def _converse(hass: HomeAssistant, text: str, language: str = "en") -> intent.IntentResponse:
    """Send one sentence to the default agent and return its answer."""
    result = await conversation.async_converse(hass, text, None, Context(), language)
    return result.response


def _speech(response: intent.IntentResponse) -> str:
    """Return the plain speech of an answer."""
    return str(response.speech["plain"]["speech"])


@pytest.fixture
async def voice_entry(
    hass: HomeAssistant, amqtt: AmqttBroker, printer: KobraSimulator
) -> MockConfigEntry:
    """Set up Assist and the printer (with its Assist sentences and aliases)."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    assert await async_setup_component(hass, "intent", {})
    entry = make_entry(amqtt)
    await setup_entry(hass, entry)
    await wait_until(lambda: entry.runtime_data.printer_available)
    await hass.async_block_till_done()
    return entry


async def test_pause_the_printer(
    hass: HomeAssistant, voice_entry: MockConfigEntry, printer: KobraSimulator
) -> None:
    """Saying "pause the printer" presses the exposed pause button, once a job runs."""
    pause = _entity_id(hass, "button", "pause")
    coordinator = voice_entry.runtime_data

    # Not exposed to Assist: the sentence is not ours to handle, nothing is pressed.
    await printer.start_print(_a_file(printer), "local")
    await wait_until(lambda: coordinator.state.phase is PrintPhase.PRINTING)
    await hass.async_block_till_done()
    response = await _converse(hass, "pause the printer")
    assert response.response_type is intent.IntentResponseType.ERROR
    assert hass.states.get(pause).state == STATE_UNKNOWN

    async_expose_entity(hass, "conversation", pause, True)
    await hass.async_block_till_done()
    response = await _converse(hass, "pause the printer")
    assert _speech(response) == "Pausing Kobra 2 Pro."
    assert hass.states.get(pause).state != STATE_UNKNOWN  # pressed: the time of the press
    await printer.wait_for_command("print", "pause", timeout=5)
    await wait_until(lambda: coordinator.state.phase is PrintPhase.PAUSED)

    # The printer's own name works too, and so does resuming once that is exposed.
    resume = _entity_id(hass, "button", "resume")
    async_expose_entity(hass, "conversation", resume, True)
    await hass.async_block_till_done()
    response = await _converse(hass, "resume the Kobra 2 Pro")
    assert _speech(response) == "Resuming Kobra 2 Pro."
    await wait_until(lambda: coordinator.state.phase is PrintPhase.PRINTING)
    response = await _converse(hass, "resume the printer")
    assert _speech(response) == "Kobra 2 Pro is not paused."


async def test_answers_in_the_conversation_language(
    hass: HomeAssistant, voice_entry: MockConfigEntry, printer: KobraSimulator
) -> None:
    """The spoken answer is in the language of the conversation, English where none is shipped."""
    pause = _entity_id(hass, "button", "pause")
    resume = _entity_id(hass, "button", "resume")
    async_expose_entity(hass, "conversation", pause, True)
    async_expose_entity(hass, "conversation", resume, True)
    coordinator = voice_entry.runtime_data
    await printer.start_print(_a_file(printer), "local")
    await wait_until(lambda: coordinator.state.phase is PrintPhase.PRINTING)
    await hass.async_block_till_done()

    response = await _converse(hass, "pause the printer", "de")
    assert _speech(response) == "Kobra 2 Pro wird pausiert."
    await wait_until(lambda: coordinator.state.phase is PrintPhase.PAUSED)
    await hass.async_block_till_done()
    response = await _converse(hass, "pause the printer", "fr")
    assert _speech(response) == "Kobra 2 Pro n'imprime pas."
    response = await _converse(hass, "pause the printer", "sv")
    assert _speech(response) == "Kobra 2 Pro is not printing."


async def test_a_refused_press_is_explained(
    hass: HomeAssistant,
    voice_entry: MockConfigEntry,
    printer: KobraSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the printer refuses, the answer says why, the reason in the conversation's language too."""
    pause = _entity_id(hass, "button", "pause")
    async_expose_entity(hass, "conversation", pause, True)
    coordinator = voice_entry.runtime_data
    await printer.start_print(_a_file(printer), "local")
    await wait_until(lambda: coordinator.state.phase is PrintPhase.PRINTING)
    await hass.async_block_till_done()

    def refuse(taskid: object, reply_to: str | None) -> list[Any]:
        """Answer the pause command the way a printer that cannot pause does."""
        return [printer.machine.failure("print", "pause", "lid open", {}, reply_to)]

    # A printer refusing to pause is nothing a broker can produce: the simulator is told to.
    monkeypatch.setattr(printer.machine, "pause", refuse)
    response = await _converse(hass, "pause the printer", "nl")
    assert _speech(response) == (
        "Kobra 2 Pro is niet gepauzeerd: De printer heeft het commando print/pause geweigerd: lid open"
    )
    response = await _converse(hass, "pause the printer")
    assert _speech(response) == (
        "Kobra 2 Pro did not pause: The printer refused the print/pause command: lid open"
    )
    assert coordinator.state.phase is PrintPhase.PRINTING


TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / DOMAIN / "translations"


def _answers(language: str) -> dict[str, str]:
    """Return the answer texts of one shipped language by key, as the file has them."""
    data = json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))
    return {key: value["message"] for key, value in data["exceptions"].items()}


@pytest.mark.parametrize("language", sorted(path.stem for path in TRANSLATIONS.glob("*.json")))
async def test_every_answer_is_translated(hass: HomeAssistant, language: str) -> None:
    """Each answer Assist can give exists in every language and fills in its placeholders."""
    keys = {key for replies in assist._REPLIES.values() for key in replies.values()}
    keys.add(assist._WHICH_PRINTER)
    shipped, english = _answers(language), _answers("en")
    for key in sorted(keys):
        text = await assist.async_reply(hass, language, key, "Kobra X", names="A, B", error="E")
        assert text == shipped[key].format(name="Kobra X", names="A, B", error="E")
        assert "{" not in text, key
        if language != "en":
            assert shipped[key] != english[key], (language, key)


async def test_what_is_the_printers_progress(
    hass: HomeAssistant, voice_entry: MockConfigEntry, printer: KobraSimulator
) -> None:
    """Asking "what is the printer's progress" reads the progress sensor (via its aliases)."""
    progress = _entity_id(hass, "sensor", "progress")
    entry = er.async_get(hass).async_get(progress)
    assert entry is not None
    assert set(entry.aliases) >= assist.PROGRESS_ALIASES
    async_expose_entity(hass, "conversation", progress, True)
    coordinator = voice_entry.runtime_data
    await printer.start_print(_a_file(printer), "local")
    await wait_until(
        lambda: coordinator.state.job is not None and bool(coordinator.state.job.progress)
    )
    await hass.async_block_till_done()

    response = await _converse(hass, "what is the printer's progress")
    assert response.response_type is intent.IntentResponseType.QUERY_ANSWER
    assert response.intent is not None
    assert response.intent.intent_type == intent.INTENT_GET_STATE
    assert [state.entity_id for state in response.matched_states] == [progress]
    value = hass.states.get(progress).state
    assert _speech(response) == f"Printer's progress is {value} %"


async def test_aliases_are_suggested_once(
    hass: HomeAssistant, voice_entry: MockConfigEntry
) -> None:
    """Aliases the user removed stay removed after a reload."""
    progress = _entity_id(hass, "sensor", "progress")
    registry = er.async_get(hass)
    current = registry.async_get(progress)
    assert current is not None
    # Empty, in whichever form this release keeps aliases (a set before 2026, then a list).
    registry.async_update_entity(progress, aliases=type(current.aliases)())
    assert await hass.config_entries.async_reload(voice_entry.entry_id)
    entry = registry.async_get(progress)
    assert entry is not None
    assert not entry.aliases


async def test_only_the_first_printer_gets_the_aliases(
    hass: HomeAssistant, amqtt: AmqttBroker, printer: KobraSimulator
) -> None:
    """With a printer that already answers to "printer's progress", a second one gets none."""
    registry = er.async_get(hass)
    other = registry.async_get_or_create(
        "sensor", DOMAIN, f"{'f' * 32}_progress", suggested_object_id="other_printer_progress"
    )
    registry.async_update_entity(
        other.entity_id, aliases=assist._with_progress_aliases(other.aliases)
    )
    registry.async_update_entity_options(other.entity_id, DOMAIN, {"assist_aliases": True})

    entry = make_entry(amqtt)
    await setup_entry(hass, entry)
    progress = registry.async_get(_entity_id(hass, "sensor", "progress"))
    assert progress is not None
    assert not assist.PROGRESS_ALIASES.intersection(progress.aliases)
