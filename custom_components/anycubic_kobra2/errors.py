"""Translated Home Assistant errors for what can go wrong between Home Assistant and the printer."""

from __future__ import annotations

from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.update_coordinator import UpdateFailed

from .const import DOMAIN
from .kobra2 import KobraCommandError, KobraError, KobraNotConnectedError, KobraTimeoutError


def not_connected() -> HomeAssistantError:
    """Return the error for a command while the broker link is down."""
    return HomeAssistantError(translation_domain=DOMAIN, translation_key="not_connected")


def printer_offline() -> HomeAssistantError:
    """Return the error for a command while the printer is offline or silent."""
    return HomeAssistantError(translation_domain=DOMAIN, translation_key="printer_offline")


def command_error(err: KobraError, command: str) -> HomeAssistantError:
    """Return the error for a command (named type/action) that the link or printer failed."""
    if isinstance(err, KobraNotConnectedError):
        return not_connected()
    if isinstance(err, KobraTimeoutError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_timeout",
            translation_placeholders={"command": command},
        )
    if isinstance(err, KobraCommandError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_failed",
            translation_placeholders={"command": command, "error": str(err)},
        )
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="communication_error",
        translation_placeholders={"error": str(err)},
    )


def cannot_connect(placeholders: dict[str, str], err: Exception) -> UpdateFailed:
    """Return the error that sends setup into Home Assistant's retry schedule."""
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key="cannot_connect",
        translation_placeholders={**placeholders, "error": str(err) or type(err).__name__},
    )
