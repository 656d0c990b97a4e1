"""The link core both printer links share: ids, connection state, callbacks, request/reply."""

from __future__ import annotations

import asyncio
import logging

import pytest

from custom_components.anycubic_kobra2.kobra2 import (
    BaseLink,
    Command,
    KobraConnectionError,
    KobraLink,
    Report,
    TopicStyle,
    commands,
)
from tests.helpers.payloads import MODEL_ID, PRINTER_ID, encode, envelope, report_topic


class _EchoLink(BaseLink):
    """A link whose publishes are recorded; the test plays the printer."""

    def __init__(self, **kwargs: object) -> None:
        """Record reports and connection changes."""
        self.reports: list[Report] = []
        self.changes: list[bool] = []
        self.sent: list[Command] = []
        super().__init__(
            MODEL_ID,
            PRINTER_ID.upper(),
            on_report=self.reports.append,
            on_connection=self.changes.append,
            topic_style=TopicStyle.TYPE,
            logger=logging.getLogger(__name__),
            **kwargs,  # type: ignore[arg-type]
        )

    async def connect(self) -> None:
        """Come up at once."""
        self._set_connected(True)

    def start(self) -> None:
        """Nothing runs in the background."""

    async def stop(self) -> None:
        """Go down."""
        self._set_connected(False)

    @property
    def last_error(self) -> str | None:
        """Never an error."""
        return None

    async def send(self, cmd: Command) -> None:
        """Record the command."""
        self.sent.append(cmd)


def test_ids_topics_and_repr() -> None:
    """The printer id is normalised and validated; the repr names class, printer and state."""
    link = _EchoLink()
    assert link.printer_id == PRINTER_ID.lower()
    assert link.report_filter.endswith(f"/{MODEL_ID}/{PRINTER_ID.lower()}/#")
    assert repr(link) == f"<_EchoLink {MODEL_ID}/{PRINTER_ID.lower()} connected=False>"
    with pytest.raises(ValueError):
        BaseLink(
            MODEL_ID,
            "+",
            on_report=print,
            on_connection=None,
            topic_style=TopicStyle.TYPE,
            logger=logging.getLogger(__name__),
        )


async def test_connection_changes_reach_the_callback_once() -> None:
    """Only real changes are reported; a failing callback does not break the link."""
    link = _EchoLink()
    link_protocol: KobraLink = link
    await link_protocol.connect()
    await link.connect()
    assert link.connected
    assert link.changes == [True]

    def broken(_connected: bool) -> None:
        raise RuntimeError("callback bug")

    link._on_connection = broken
    await link.stop()
    assert not link.connected


async def test_request_answered_and_failed_on_link_loss() -> None:
    """A request returns its answer; one pending when the link drops fails with a connection error."""
    link = _EchoLink()
    await link.connect()
    query = commands.query_status()
    pending = asyncio.ensure_future(link.request(query, timeout=5))
    await asyncio.sleep(0)
    link._router.handle(report_topic("status"), encode(envelope("status", "workReport", "free")))
    answer = await pending
    assert answer in link.reports
    assert link.sent == [query]

    lost = asyncio.ensure_future(link.request(commands.query_status(), timeout=5))
    await asyncio.sleep(0)
    await link.stop()
    with pytest.raises(KobraConnectionError):
        await lost


async def test_base_send_is_abstract() -> None:
    """The core itself cannot publish."""
    link = BaseLink(
        MODEL_ID,
        PRINTER_ID,
        on_report=print,
        on_connection=None,
        topic_style=TopicStyle.TYPE,
        logger=logging.getLogger(__name__),
    )
    with pytest.raises(NotImplementedError):
        await link.send(commands.query_status())
