"""Exceptions raised by the Kobra 2 protocol package."""

from __future__ import annotations


class KobraError(Exception):
    """Base class of every error raised by the kobra2 package."""


class KobraConnectionError(KobraError):
    """The MQTT broker cannot be reached or the connection was lost."""


class KobraNotConnectedError(KobraConnectionError):
    """A command was sent while there is no broker connection."""


class KobraAuthError(KobraError):
    """The broker refused the credentials."""


class KobraTimeoutError(KobraError):
    """The printer did not answer in time."""


class KobraProtocolError(KobraError):
    """The printer sent something that does not fit the protocol."""


class KobraParseError(KobraProtocolError):
    """A report could not be parsed; reason says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KobraCommandError(KobraError):
    """The printer answered a command with a failure."""

    def __init__(self, message: str = "", *, code: int | None = None, state: str = "") -> None:
        super().__init__(message or f"command failed (state={state!r}, code={code})")
        self.code = code
        self.state = state
