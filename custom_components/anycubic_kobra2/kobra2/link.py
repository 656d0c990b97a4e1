"""What every printer link shares: ids and topics, connection state, callbacks, request/reply."""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any, Protocol

from .commands import Command
from .const import normalize_printer_id, report_topic_filter
from .exceptions import KobraAuthError, KobraConnectionError
from .models import Report, TopicStyle
from .routing import ReportCallback, ReportRouter

type ConnectionCallback = Callable[[bool], None]
type AuthFailedCallback = Callable[[KobraAuthError], None]


class KobraLink(Protocol):
    """What an owner needs from a printer link (KobraClient, or a link through another MQTT client)."""

    model_id: str
    printer_id: str
    topic_style: TopicStyle

    @property
    def connected(self) -> bool:
        """Return True while reports can arrive and commands can be sent."""

    @property
    def last_error(self) -> str | None:
        """Return why the link is down (None while it is up)."""

    async def connect(self) -> None:
        """Make the link usable once; raise KobraConnectionError (or KobraAuthError)."""

    def start(self) -> Any:
        """Keep the link up in the background."""

    async def stop(self) -> None:
        """Tear the link down."""

    async def send(self, cmd: Command) -> None:
        """Publish a command; raise KobraNotConnectedError when down."""

    async def request(self, cmd: Command, timeout: float = 10.0) -> Report:  # noqa: ASYNC109
        """Publish a command and return the report answering it."""


class BaseLink:
    """The shared core of a printer link; subclasses connect, subscribe and publish."""

    def __init__(
        self,
        model_id: str,
        printer_id: str,
        *,
        on_report: ReportCallback,
        on_connection: ConnectionCallback | None,
        topic_style: TopicStyle,
        logger: logging.Logger,
    ) -> None:
        """Validate the ids (no wildcard or "/" can reach a topic) and set up the router."""
        self.model_id = model_id
        self.printer_id = normalize_printer_id(printer_id)
        self.topic_style = TopicStyle(topic_style)
        self.report_filter = report_topic_filter(model_id, self.printer_id)
        self._router = ReportRouter(model_id, self.printer_id, on_report, logger)
        self._on_connection = on_connection
        self._connected = False
        self._warn_callback = self._router.warn_callback

    def __repr__(self) -> str:
        """Describe the link without secrets."""
        details = self._repr_details()
        return (
            f"<{type(self).__name__} {details}{' ' if details else ''}"
            f"{self.model_id}/{self.printer_id} connected={self._connected}>"
        )

    def _repr_details(self) -> str:
        """Return what the repr shows before the printer (subclasses add where they connect)."""
        return ""

    @property
    def connected(self) -> bool:
        """Return True while reports can arrive and commands can be sent."""
        return self._connected

    def _set_connected(self, connected: bool) -> None:
        """Record the link state, fail pending requests on loss and notify the callback."""
        if connected == self._connected:
            return
        self._connected = connected
        if not connected:
            self._router.fail_pending(KobraConnectionError("connection to broker lost"))
        if self._on_connection is not None:
            try:
                self._on_connection(connected)
            except Exception:  # a callback bug must not break the link
                self._warn_callback("Error in connection callback", exc_info=True)

    async def send(self, cmd: Command) -> None:
        """Publish cmd at QoS 0 without retain; raise KobraNotConnectedError at once when down."""
        raise NotImplementedError

    async def request(self, cmd: Command, timeout: float = 10.0) -> Report:  # noqa: ASYNC109
        """Send cmd and return the report answering it.

        Raises KobraTimeoutError without answer, KobraCommandError when the printer
        answers with state "failed", KobraConnectionError when the link drops meanwhile.
        """
        return await self._router.request(cmd, self.send, timeout)
