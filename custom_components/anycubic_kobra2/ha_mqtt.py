"""Printer link through Home Assistant's own MQTT connection (the same link core as KobraClient); HA-MQTT discovery."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import logging
import secrets
from typing import Final

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError

from .kobra2 import (
    DISCOVERY_TOPIC,
    TOPIC_PREFIX,
    BaseLink,
    Command,
    ConnectionCallback,
    DiscoveredPrinter,
    KobraConnectionError,
    KobraNotConnectedError,
    MessagePacer,
    ReportCallback,
    TopicStyle,
    parse_topic,
)

_LOGGER = logging.getLogger(__name__)

# How long to wait for Home Assistant to place the subscription at the broker; HA
# itself waits up to 10 s for a lost acknowledgement before it subscribes again.
_SUBSCRIBE_TIMEOUT: Final = 12.0
# Interval of the echo probes used where HA cannot tell when a subscription is done.
_PROBE_INTERVAL: Final = 0.2
# Sub-topic of the echo probe; under the report filter, but never `<type>/report`.
PROBE_SUFFIX: Final = "ha_subscribe_probe"


class HaMqttLink(BaseLink):
    """Talks to one printer through the broker Home Assistant's MQTT integration is connected to.

    Home Assistant owns the connection (credentials, TLS, reconnects); this only subscribes to
    the printer's reports, feeds them to the same parser as KobraClient and publishes commands.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        model_id: str,
        printer_id: str,
        *,
        on_report: ReportCallback,
        on_connection: ConnectionCallback | None = None,
        topic_style: TopicStyle = TopicStyle.TYPE,
    ) -> None:
        """Prepare the link (nothing is subscribed before connect() or start())."""
        super().__init__(
            model_id,
            printer_id,
            on_report=on_report,
            on_connection=on_connection,
            topic_style=topic_style,
            logger=_LOGGER,
        )
        self.hass = hass
        # HA hands over hundreds of messages in one loop step; this yields in between.
        self._pacer = MessagePacer(
            self._router.handle,
            lambda coro: hass.async_create_task(
                coro, f"kobra2 ha-mqtt reports {self.printer_id[:8]}"
            ),
        )
        self._unsubscribers: list[CALLBACK_TYPE] = []
        self._task: asyncio.Task[None] | None = None
        self._confirm_task: asyncio.Task[None] | None = None
        self.probe_topic = (
            f"{TOPIC_PREFIX}/printer/public/{model_id}/{self.printer_id}/{PROBE_SUFFIX}"
        )
        self._probe: tuple[bytes, asyncio.Future[None]] | None = None

    def _repr_details(self) -> str:
        """Return whether the link is subscribed."""
        return f"subscribed={bool(self._unsubscribers)}"

    @property
    def last_error(self) -> str | None:
        """Return why the link is down (None while it is up)."""
        if self._connected:
            return None
        if not self._unsubscribers:
            return "not subscribed"
        return "Home Assistant's MQTT client is not connected"

    async def connect(self) -> None:
        """Subscribe to the printer's reports; raise KobraConnectionError without MQTT."""
        if self._unsubscribers:
            return
        try:
            available = await mqtt.async_wait_for_mqtt_client(self.hass)
        except KeyError:  # the MQTT integration was never loaded
            available = False
        if not available:
            raise KobraConnectionError("Home Assistant's MQTT integration is not set up")
        try:
            unsubscribe = await mqtt.async_subscribe(
                self.hass, self.report_filter, self._message_received, qos=0, encoding=None
            )
        except HomeAssistantError as err:
            raise KobraConnectionError(f"subscribing failed: {err}") from err
        self._unsubscribers = [
            unsubscribe,
            mqtt.async_subscribe_connection_status(self.hass, self._connection_changed),
        ]
        # While HA's client is (re)connecting the subscription stays queued; the status
        # callback then reports when the link is really up.
        if mqtt.is_connected(self.hass):
            await self._async_wait_subscribed()
            self._set_connected(mqtt.is_connected(self.hass))

    async def _async_wait_subscribed(self) -> None:
        """Wait until the broker has our subscription, so no answer to a command is missed.

        Home Assistant sends subscriptions after a short debounce. Newer releases say when
        one is done; on older ones an echo on a topic under our own filter proves it.
        Gives up quietly after a few seconds (the link still works, only answers sent in
        that window may be missed).
        """
        future: asyncio.Future[None] = self.hass.loop.create_future()

        @callback
        def done() -> None:
            if not future.done():
                future.set_result(None)

        on_subscribe_done: Callable[..., CALLBACK_TYPE] | None = getattr(
            mqtt, "async_on_subscribe_done", None
        )
        try:
            async with asyncio.timeout(_SUBSCRIBE_TIMEOUT):
                if on_subscribe_done is not None:
                    stop = on_subscribe_done(self.hass, self.report_filter, 0, done)
                    try:
                        await future
                    finally:
                        stop()
                else:
                    await self._async_probe(future)
        except TimeoutError:
            _LOGGER.debug("No confirmation of the subscription to %s", self.report_filter)
        except HomeAssistantError as err:
            _LOGGER.debug("Cannot confirm the subscription to %s: %s", self.report_filter, err)
        finally:
            self._probe = None

    async def _async_probe(self, future: asyncio.Future[None]) -> None:
        """Publish echo probes until one comes back through our subscription."""
        nonce = secrets.token_hex(8).encode()
        self._probe = (nonce, future)
        while not future.done():
            await mqtt.async_publish(
                self.hass, self.probe_topic, nonce, qos=0, retain=False, encoding=None
            )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_PROBE_INTERVAL):
                    await asyncio.shield(future)

    def start(self) -> asyncio.Task[None] | None:
        """Subscribe in the background if connect() was not called; HA does the reconnecting."""
        if self._unsubscribers or (self._task is not None and not self._task.done()):
            return self._task
        self._task = self.hass.async_create_background_task(
            self._async_start(), f"kobra2 ha-mqtt {self.printer_id[:8]}"
        )
        return self._task

    async def _async_start(self) -> None:
        """Run connect() for start(), logging instead of raising."""
        try:
            await self.connect()
        except KobraConnectionError as err:
            _LOGGER.warning("Cannot listen to printer %s: %s", self.printer_id, err)

    async def stop(self) -> None:
        """Unsubscribe and fail pending requests."""
        for task in (self._task, self._confirm_task):
            if task is not None and not task.done():
                task.cancel()
        self._task = self._confirm_task = None
        unsubscribers, self._unsubscribers = self._unsubscribers, []
        for unsubscribe in unsubscribers:
            unsubscribe()
        self._pacer.clear()
        self._set_connected(False)

    @callback
    def _connection_changed(self, connected: bool) -> None:
        """Follow Home Assistant's MQTT connection (up once it has resubscribed)."""
        if self._confirm_task is not None and not self._confirm_task.done():
            self._confirm_task.cancel()
        self._confirm_task = None
        if not connected or not self._unsubscribers:
            self._set_connected(False)
            return
        self._confirm_task = self.hass.async_create_background_task(
            self._async_confirm(), f"kobra2 ha-mqtt resubscribe {self.printer_id[:8]}"
        )

    async def _async_confirm(self) -> None:
        """Report the link up once HA's client has resubscribed after a reconnect."""
        # HA announces the connection before it queues the resubscriptions (in the same
        # callback); yield once so the check below sees them as pending, not as done.
        await asyncio.sleep(0)
        await self._async_wait_subscribed()
        self._set_connected(mqtt.is_connected(self.hass))

    @callback
    def _message_received(self, message: mqtt.ReceiveMessage) -> None:
        """Parse one message, answer waiting requests and hand the report on."""
        payload = message.payload
        raw = payload if isinstance(payload, bytes) else str(payload).encode()
        if message.topic == self.probe_topic:
            if self._probe is not None and raw == self._probe[0] and not self._probe[1].done():
                self._probe[1].set_result(None)
            return
        self._pacer.submit(message.topic, raw)

    async def send(self, cmd: Command) -> None:
        """Publish cmd at QoS 0 without retain; raise KobraNotConnectedError at once when down."""
        if not self._connected:
            raise KobraNotConnectedError("Home Assistant's MQTT client is not connected")
        topic = cmd.topic(self.model_id, self.printer_id, self.topic_style)
        try:
            await mqtt.async_publish(
                self.hass, topic, cmd.payload(), qos=0, retain=False, encoding=None
            )
        except HomeAssistantError as err:
            raise KobraConnectionError(f"publish failed: {err}") from err


def ha_mqtt_available(hass: HomeAssistant) -> bool:
    """Return whether Home Assistant's MQTT integration is set up (loaded)."""
    return any(
        entry.state is ConfigEntryState.LOADED
        for entry in hass.config_entries.async_entries(mqtt.DOMAIN)
    )


async def async_discover(hass: HomeAssistant, timeout: float = 3.0) -> list[DiscoveredPrinter]:  # noqa: ASYNC109
    """Return the printers publishing on Home Assistant's MQTT broker within timeout (sorted).

    Raises KobraConnectionError when the MQTT integration is not set up or not connected.
    """
    if not ha_mqtt_available(hass) or not await mqtt.async_wait_for_mqtt_client(hass):
        raise KobraConnectionError("Home Assistant's MQTT integration is not set up")
    if not mqtt.is_connected(hass):
        raise KobraConnectionError("Home Assistant's MQTT client is not connected")
    found: set[DiscoveredPrinter] = set()

    @callback
    def _seen(message: mqtt.ReceiveMessage) -> None:
        if (info := parse_topic(message.topic)) is not None:
            found.add(DiscoveredPrinter(info.model_id, info.printer_id))

    try:
        unsubscribe = await mqtt.async_subscribe(hass, DISCOVERY_TOPIC, _seen, qos=0, encoding=None)
    except HomeAssistantError as err:
        raise KobraConnectionError(f"subscribing failed: {err}") from err
    try:
        await asyncio.sleep(timeout)
    finally:
        unsubscribe()
    return sorted(found, key=lambda p: (p.model_id, p.printer_id))
