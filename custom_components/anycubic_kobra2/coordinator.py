"""Push coordinator: one MQTT client per printer, every report applied at once."""

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, override

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from . import errors
from .const import (
    COMMAND_TIMEOUT,
    CONF_MODEL_ID,
    CONF_POLL_INTERVAL,
    CONF_PRINTER_ID,
    CONF_STALE_TIMEOUT,
    CONF_TOPIC_STYLE,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_STALE_TIMEOUT,
    DOMAIN,
    LOGGER,
)
from .data import KobraConfigEntry, KobraData
from .devices import PrinterDevice
from .kobra2 import (
    EDGE_BURST,
    EDGE_INTERVAL,
    Command,
    KobraError,
    OnlineReport,
    PrinterState,
    Report,
    TokenBucket,
    TopicStyle,
    commands,
    valid_model_id,
    valid_printer_id,
)
from .link import async_connect_for_setup, make_link
from .listeners import ReportListeners
from .throttle import EntityUpdateThrottle


class KobraCoordinator(DataUpdateCoordinator[KobraData]):
    """Owns the MQTT link to one printer; pushes every report to the entities."""

    config_entry: KobraConfigEntry

    def __init__(self, hass: HomeAssistant, entry: KobraConfigEntry) -> None:
        """Create the coordinator and its (not yet connected) client."""
        # Checked before anything is registered with the entry: these ids go into topics,
        # so a hand-edited entry with a wildcard in them must never get as far as a client.
        if not valid_model_id(entry.data[CONF_MODEL_ID]) or not valid_printer_id(
            entry.data[CONF_PRINTER_ID]
        ):
            raise ConfigEntryError("the entry's model or printer id is not valid in a topic")
        self.poll_interval = int(entry.options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL))
        self.stale_timeout = int(entry.options.get(CONF_STALE_TIMEOUT, DEFAULT_STALE_TIMEOUT))
        self.topic_style = TopicStyle(entry.options.get(CONF_TOPIC_STYLE, TopicStyle.TYPE))
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=timedelta(seconds=self.poll_interval),
            always_update=True,
        )
        self.model_id: str = entry.data[CONF_MODEL_ID]
        self.printer_id: str = entry.data[CONF_PRINTER_ID]
        self.data = KobraData(state=PrinterState())
        self.client = make_link(
            hass,
            entry,
            self.topic_style,
            on_report=self._handle_report,
            on_connection=self._handle_connection,
            on_auth_failed=self._handle_auth_failed,
        )
        self.fresh = False
        # Set when the stale watchdog fired: the next report brings a full refresh.
        self._went_stale = False
        # Whether a new broker connection asks for a full state; setup's first refresh does
        # that for the connection it made itself.
        self._refresh_on_connect = False
        self._was_available: bool | None = None
        self._throttle = EntityUpdateThrottle(hass, self._flush)
        # Job and machine state changes skip the queue, but only this often (M2 of the review).
        self._edge_budget = TokenBucket(EDGE_BURST, EDGE_INTERVAL, hass.loop.time)
        # Set by async_shutdown: a deliberate stop is no lost connection.
        self._stopping = False
        self._unsub_stale: CALLBACK_TYPE | None = None
        self._stale_armed_at = 0.0
        self._background: set[asyncio.Task[None]] = set()
        self._report_listeners = ReportListeners()
        self._device: PrinterDevice | None = None

    @property
    def state(self) -> PrinterState:
        """Return the printer state."""
        return self.data.state

    @property
    def broker_connected(self) -> bool:
        """Return whether the broker link is up."""
        return self.client.connected

    @property
    def printer_available(self) -> bool:
        """Return whether the printer's values can be trusted right now."""
        return self.client.connected and self.state.online is not False and self.fresh

    @override
    async def _async_setup(self) -> None:
        """Connect once, so a dead broker or bad credentials fail the setup."""
        if not await async_connect_for_setup(self.client, self.config_entry):
            # Not answered yet: the link keeps trying, and its first connection is a new one.
            self._refresh_on_connect = True

    @override
    async def _async_update_data(self) -> KobraData:
        """Fallback poll: runs only after the printer was silent for a whole poll interval."""
        if self.client.connected:
            await self._async_request_full_state()
        return self.data

    async def _async_request_full_state(self) -> None:
        """Ask the printer for everything it can tell; answers arrive as ordinary reports."""
        for command in commands.full_state_queries():
            try:
                await self.client.send(command)
            except KobraError as err:
                LOGGER.debug("Could not request %s/%s: %s", command.type, command.action, err)
                return

    def _spawn(self, coro: Any, name: str) -> None:
        """Run a short job tied to the entry, keeping a reference until it ends."""
        task = self.config_entry.async_create_background_task(self.hass, coro, name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    @callback
    def _handle_report(self, report: Report) -> None:
        """Apply one parsed report and schedule an entity update."""
        state = self.state
        # Every online announcement counts: the printer also makes one after reconnecting
        # to a restarted broker, and may have missed our refresh request meanwhile.
        came_online = isinstance(report, OnlineReport) and report.online
        recovered = self._went_stale
        self._went_stale = False
        edges = (state.phase, state.status, self.printer_available)
        state.apply(report)
        self._mark_fresh()
        self._report_listeners.notify(report)
        if (came_online or recovered) and self._refresh_on_connect:
            # Back after power loss or silence: values may have moved on meanwhile.
            self._spawn(self._async_request_full_state(), f"{DOMAIN} full state")
        if (state.phase, state.status, self.printer_available) != edges and (
            self._edge_budget.take()
        ):
            # A job or machine state change, or the printer coming or going, reaches the
            # entities and update listeners at once; a flood of them is merged like any
            # other update, and the last state still wins.
            self._throttle.now()
        else:
            self._throttle.schedule()

    @callback
    def async_add_report_listener(self, listener: Callable[[Report], None]) -> CALLBACK_TYPE:
        """Call listener with every report after it was applied; return the remover."""
        return self._report_listeners.add(listener)

    @callback
    def _mark_fresh(self) -> None:
        """Restart the stale watchdog after a report (in a burst at most once a second)."""
        self.fresh = True
        now = self.hass.loop.time()
        # A new timer per report is costly in a flood; the timeout may then end up to a
        # second early, which does not matter at its scale.
        if self._unsub_stale is None or now - self._stale_armed_at >= 1.0:
            if self._unsub_stale is not None:
                self._unsub_stale()
            self._unsub_stale = async_call_later(self.hass, self.stale_timeout, self._handle_stale)
            self._stale_armed_at = now

    @callback
    def _handle_stale(self, _now: datetime) -> None:
        """Mark values stale when the printer has said nothing for the stale timeout."""
        self._unsub_stale = None
        self.fresh = False
        self._went_stale = True
        # A change of availability goes out at once, like the other availability changes.
        self._throttle.now()

    @callback
    def _handle_connection(self, connected: bool) -> None:
        """Follow the broker link; ask for a full state after every reconnect."""
        if connected:
            if self._refresh_on_connect:
                self._went_stale = False  # the refresh below covers it
                self._spawn(self._async_request_full_state(), f"{DOMAIN} full state")
            self._refresh_on_connect = True
        self._throttle.schedule()

    @callback
    def _handle_auth_failed(self, _err: KobraError) -> None:
        """Ask the user for new credentials; the client has stopped reconnecting."""
        self.config_entry.async_start_reauth(self.hass)
        self._throttle.schedule()

    @callback
    def _flush(self) -> None:
        """Push the state to the entities (this also restarts the fallback poll timer)."""
        if self._stopping:
            return
        self.data.live = self.printer_available
        self._log_availability()
        if self._device is not None:
            self._device.async_sync_firmware(self.state.firmware_version)
        self.async_set_updated_data(self.data)

    def _log_availability(self) -> None:
        """Log once when the printer goes away and once when it is back."""
        available = self.printer_available
        if available == self._was_available:
            return
        if self._stopping or self.hass.is_stopping:
            # Unload, reload or Home Assistant stopping: nothing was lost, nothing to tell.
            LOGGER.debug("Printer %s: link closed on purpose", self.name)
            self._was_available = available
            return
        if available:
            LOGGER.info("Printer %s is available", self.name)
        elif self._was_available is not None:
            LOGGER.info("Printer %s is unavailable: %s", self.name, self._unavailable_reason())
        self._was_available = available

    def _unavailable_reason(self) -> str:
        """Return a short reason for unavailability, for the log."""
        if not self.client.connected:
            error = self.client.last_error
            return f"broker connection lost ({error})" if error else "broker connection lost"
        if self.state.online is False:
            return "printer reported offline"
        return f"no report for {self.stale_timeout} s"

    @callback
    def async_start(self) -> None:
        """Start the background connection loop once setup has connected."""
        self.client.start()

    @callback
    def async_register_device(self) -> None:
        """Create the printer's device, so it exists even before the printer reports."""
        self._device = PrinterDevice(self.hass, self.config_entry)

    def options_changed(self, options: Mapping[str, Any]) -> bool:
        """Return whether options differ from what this coordinator runs with."""
        return (
            int(options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL)) != self.poll_interval
            or int(options.get(CONF_STALE_TIMEOUT, DEFAULT_STALE_TIMEOUT)) != self.stale_timeout
            or TopicStyle(options.get(CONF_TOPIC_STYLE, TopicStyle.TYPE)) is not self.topic_style
        )

    @override
    async def async_shutdown(self) -> None:
        """Stop timers and the MQTT client."""
        self._stopping = True
        await super().async_shutdown()
        self._throttle.cancel()
        if self._unsub_stale is not None:
            self._unsub_stale()
            self._unsub_stale = None
        for task in list(self._background):
            task.cancel()
        await self.client.stop()

    def ensure_live(self) -> None:
        """Raise the translated error unless the broker link is up and the printer live."""
        if not self.client.connected:
            raise errors.not_connected()
        if not self.printer_available:
            raise errors.printer_offline()

    async def async_command(self, command: Command, *, wait: bool = True) -> None:
        """Send a command; with wait, also wait for the printer's answer."""
        self.ensure_live()
        try:
            if wait:
                await self.client.request(command, timeout=COMMAND_TIMEOUT)
            else:
                await self.client.send(command)
        except KobraError as err:
            raise errors.command_error(err, f"{command.type}/{command.action}") from err
