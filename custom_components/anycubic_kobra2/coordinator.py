"""Push coordinator: one MQTT client per printer, every report applied at once."""

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError, HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import (
    COMMAND_TIMEOUT,
    CONF_CA_CERT,
    CONF_CLIENT_CERT,
    CONF_CLIENT_KEY,
    CONF_MODEL_ID,
    CONF_POLL_INTERVAL,
    CONF_PRINTER_ID,
    CONF_STALE_TIMEOUT,
    CONF_TLS,
    CONF_TOPIC_STYLE,
    CONF_TRANSPORT,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_PORT,
    DEFAULT_STALE_TIMEOUT,
    DOMAIN,
    LOGGER,
    MANUFACTURER,
    SETUP_BROKER_ANSWER_TIMEOUT,
    SETUP_CONNECT_TIMEOUT,
    TRANSPORT_HA_MQTT,
)
from .kobra2 import commands
from .kobra2.client import BrokerConfig, KobraClient
from .kobra2.commands import Command
from .kobra2.const import MODEL_NAMES, valid_model_id, valid_printer_id
from .kobra2.exceptions import (
    KobraAuthError,
    KobraCommandError,
    KobraConnectionError,
    KobraError,
    KobraNotConnectedError,
    KobraTimeoutError,
)
from .kobra2.models import (
    ACTIVE_PHASES,
    MachineStatus,
    OnlineReport,
    PrintJob,
    PrintPhase,
    Report,
    SpeedMode,
    TopicStyle,
)
from .kobra2.state import PrinterState
from .transport import HaMqttTransport

type KobraConfigEntry = ConfigEntry[KobraCoordinator]

# Link timing. Module attributes (read when a client is made) so tests can shorten them.
# Keepalive bounds how long a half-open link (broker or network hung) goes unnoticed:
# at most about twice this.
KEEPALIVE = 30
RECONNECT_MIN_BACKOFF = 1.0
RECONNECT_MAX_BACKOFF = 60.0
# Entity updates are rate limited (token bucket): FLUSH_BURST may follow each other at
# once, then one per FLUSH_INTERVAL seconds. Normal traffic never waits; a flood of reports
# cannot flood the state machine.
FLUSH_BURST = 10
FLUSH_INTERVAL = 0.1


def broker_config(data: Mapping[str, Any]) -> BrokerConfig:
    """Build the broker settings from config entry data (or config flow input)."""
    return BrokerConfig(
        host=data[CONF_HOST],
        port=data.get(CONF_PORT, DEFAULT_PORT),
        username=data.get(CONF_USERNAME) or None,
        password=data.get(CONF_PASSWORD) or None,
        tls=data.get(CONF_TLS, False),
        ca_data=data.get(CONF_CA_CERT) or None,
        client_cert=data.get(CONF_CLIENT_CERT) or None,
        client_key=data.get(CONF_CLIENT_KEY) or None,
        verify=data.get(CONF_VERIFY_SSL, True),
        keepalive=KEEPALIVE,
    )


def client_id_for(entry_id: str) -> str:
    """Return a broker client id that is stable per entry and valid for every MQTT 3.1.1 broker."""
    # At most 23 characters of [0-9a-zA-Z]; two HA entries must never share one,
    # or the broker would keep kicking one of them off.
    tail = "".join(ch for ch in entry_id if ch.isalnum())[-12:]
    return f"hakobra2{tail}"


@dataclass(slots=True)
class KobraData:
    """What entities read: the printer state plus values derived from when reports arrived."""

    state: PrinterState
    # Whether the printer was live (broker up, not offline, reporting) at the last update.
    live: bool = False

    @property
    def job(self) -> PrintJob | None:
        """Return the current (or last) print job."""
        return self.state.job


# Outcomes of the last job; shown until the next job or other work starts.
FINAL_PHASES = frozenset({PrintPhase.STOPPED, PrintPhase.FINISHED, PrintPhase.FAILED})

PRINT_STATES = ["idle", "busy", *(phase.value for phase in PrintPhase)]
SPEED_MODES = [mode.name.lower() for mode in SpeedMode]


def print_state(state: PrinterState) -> str | None:
    """Return one printer state out of the machine status and the job phase."""
    phase = state.phase
    if phase is not None and phase in ACTIVE_PHASES:
        return phase.value
    if state.status is MachineStatus.BUSY:
        return "busy"
    if phase is not None and phase in FINAL_PHASES:
        return phase.value
    if state.status is MachineStatus.FREE:
        return "idle"
    return None


def job_active(state: PrinterState) -> bool:
    """Return whether a print job is running (including paused)."""
    return state.phase in ACTIVE_PHASES


def speed_mode_option(state: PrinterState) -> str | None:
    """Return the speed mode as an option key."""
    return state.speed_mode.name.lower() if state.speed_mode is not None else None


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
        self.client: KobraClient | HaMqttTransport
        if entry.data.get(CONF_TRANSPORT) == TRANSPORT_HA_MQTT:
            # Home Assistant's MQTT integration owns the connection (and its credentials).
            self.client = HaMqttTransport(
                hass,
                self.model_id,
                self.printer_id,
                on_report=self._handle_report,
                on_connection=self._handle_connection,
                topic_style=self.topic_style,
            )
        else:
            self.client = KobraClient(
                broker_config(entry.data),
                self.model_id,
                self.printer_id,
                on_report=self._handle_report,
                on_connection=self._handle_connection,
                on_auth_failed=self._handle_auth_failed,
                topic_style=self.topic_style,
                client_id=client_id_for(entry.entry_id),
                min_backoff=RECONNECT_MIN_BACKOFF,
                max_backoff=RECONNECT_MAX_BACKOFF,
                # Availability changes are logged here, once per transition.
                log_outages=False,
            )
        self.fresh = False
        # Set when the stale watchdog fired: the next report brings a full refresh.
        self._went_stale = False
        # Whether a new broker connection asks for a full state; setup's first refresh does
        # that for the connection it made itself.
        self._refresh_on_connect = False
        self._was_available: bool | None = None
        self._flush_handle: asyncio.Handle | None = None
        self._flush_task: asyncio.Task[None] | None = None
        self._flush_tokens = float(FLUSH_BURST)
        self._flush_refilled = hass.loop.time()
        self._unsub_stale: CALLBACK_TYPE | None = None
        self._stale_armed_at = 0.0
        self._background: set[asyncio.Task[None]] = set()
        self._report_listeners: list[Callable[[Report], None]] = []
        self._listener_errors: set[tuple[int, str]] = set()
        self._device_id: str | None = None
        self._device_sw_version: str | None = None

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
        entry = self.config_entry
        placeholders = {
            "host": entry.data.get(CONF_HOST) or "Home Assistant's MQTT broker",
            "port": str(entry.data.get(CONF_PORT, "")),
        }
        direct = isinstance(self.client, KobraClient)
        try:
            async with asyncio.timeout(
                SETUP_BROKER_ANSWER_TIMEOUT if direct else SETUP_CONNECT_TIMEOUT
            ):
                await self.client.connect()
        except TimeoutError as err:
            if not direct:
                raise self._cannot_connect(placeholders, err) from err
            # The broker took the connection but has not answered (hung, or busy starting):
            # an outage like any later one. Entities start unavailable and the client's
            # loop keeps trying; refused connections and bad credentials still fail setup.
            LOGGER.info(
                "MQTT broker %s:%s has not answered within %s s; connecting in the background",
                entry.data.get(CONF_HOST),
                entry.data.get(CONF_PORT),
                SETUP_BROKER_ANSWER_TIMEOUT,
            )
            self._refresh_on_connect = True
        except KobraAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="invalid_auth",
                translation_placeholders=placeholders,
            ) from err
        except KobraConnectionError as err:
            raise self._cannot_connect(placeholders, err) from err

    @staticmethod
    def _cannot_connect(placeholders: dict[str, str], err: Exception) -> UpdateFailed:
        """Return the error that sends setup into Home Assistant's retry schedule."""
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={**placeholders, "error": str(err) or type(err).__name__},
        )

    @override
    async def _async_update_data(self) -> KobraData:
        """Fallback poll: runs only after the printer was silent for a whole poll interval."""
        if self.client.connected:
            await self._async_request_full_state()
        return self.data

    async def _async_request_full_state(self) -> None:
        """Ask the printer for everything it can tell; answers arrive as ordinary reports."""
        for command in (
            commands.query_status(),
            commands.query_print(),
            commands.query_settings(),
            commands.report_version(),
        ):
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
        for listener in list(self._report_listeners):
            try:
                listener(report)
            except Exception as err:  # one faulty listener must not stop the others
                self._log_listener_error(listener, err)
        if (came_online or recovered) and self._refresh_on_connect:
            # Back after power loss or silence: values may have moved on meanwhile.
            self._spawn(self._async_request_full_state(), f"{DOMAIN} full state")
        if (state.phase, state.status, self.printer_available) != edges:
            # A job or machine state change, or the printer coming or going, reaches the
            # entities and update listeners at once, never merged away in a burst.
            self._flush_now()
        else:
            self._schedule_flush()

    def _log_listener_error(self, listener: Callable[[Report], None], err: Exception) -> None:
        """Log a failing report listener with its traceback once per kind of error."""
        key = (id(listener), type(err).__qualname__)
        if key in self._listener_errors:
            LOGGER.debug("Error in a report listener again: %r", err)
            return
        self._listener_errors.add(key)
        LOGGER.error("Error in a report listener", exc_info=err)

    @callback
    def async_add_report_listener(self, listener: Callable[[Report], None]) -> CALLBACK_TYPE:
        """Call listener with every report after it was applied; return the remover."""
        self._report_listeners.append(listener)

        @callback
        def remove() -> None:
            """Stop calling the listener."""
            self._report_listeners.remove(listener)

        return remove

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
        self._flush_now()

    @callback
    def _handle_connection(self, connected: bool) -> None:
        """Follow the broker link; ask for a full state after every reconnect."""
        if connected:
            if self._refresh_on_connect:
                self._went_stale = False  # the refresh below covers it
                self._spawn(self._async_request_full_state(), f"{DOMAIN} full state")
            self._refresh_on_connect = True
        self._schedule_flush()

    @callback
    def _handle_auth_failed(self, _err: KobraError) -> None:
        """Ask the user for new credentials; the client has stopped reconnecting."""
        self.config_entry.async_start_reauth(self.hass)
        self._schedule_flush()

    @callback
    def _schedule_flush(self) -> None:
        """Update the entities in the next loop turn, or later once the burst budget is spent."""
        if self._flush_handle is not None or self._flush_task is not None:
            return
        tokens = self._flush_budget()
        if tokens >= 1:
            # Everything handled in this loop iteration still makes a single update.
            self._flush_handle = self.hass.loop.call_soon(self._flush)
            return
        # A task rather than a timer, so hass.async_block_till_done() waits for it.
        self._flush_task = self.hass.async_create_task(
            self._async_flush_later((1 - tokens) * FLUSH_INTERVAL),
            f"{DOMAIN} entity update",
            eager_start=False,
        )

    def _flush_budget(self) -> float:
        """Refill the entity-update budget for the time passed and return it."""
        now = self.hass.loop.time()
        elapsed = max(now - self._flush_refilled, 0.0)
        self._flush_tokens = min(float(FLUSH_BURST), self._flush_tokens + elapsed / FLUSH_INTERVAL)
        self._flush_refilled = now
        return self._flush_tokens

    @callback
    def _flush_now(self) -> None:
        """Update the entities right away, replacing any update scheduled for later."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        if self._flush_task is not None:
            self._flush_task.cancel()
            self._flush_task = None
        self._flush()

    async def _async_flush_later(self, wait: float) -> None:
        """Update the entities after a pause."""
        await asyncio.sleep(wait)
        self._flush_task = None
        self._flush()

    @callback
    def _flush(self) -> None:
        """Push the state to the entities (this also restarts the fallback poll timer)."""
        self._flush_handle = None
        self._flush_tokens = max(self._flush_budget() - 1, 0.0)
        self.data.live = self.printer_available
        self._log_availability()
        self._sync_device()
        self.async_set_updated_data(self.data)

    def _log_availability(self) -> None:
        """Log once when the printer goes away and once when it is back."""
        available = self.printer_available
        if available == self._was_available:
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
        device = dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.config_entry.entry_id,
            identifiers={(DOMAIN, self.printer_id)},
            manufacturer=MANUFACTURER,
            model=MODEL_NAMES.get(self.model_id, self.model_id),
            model_id=self.model_id,
            name=self.config_entry.title,
            serial_number=self.printer_id,
        )
        self._device_id = device.id
        self._device_sw_version = device.sw_version

    def _sync_device(self) -> None:
        """Copy the firmware version from the printer's version report to the device."""
        version = self.state.firmware_version
        if self._device_id is None or version is None or version == self._device_sw_version:
            return
        dr.async_get(self.hass).async_update_device(self._device_id, sw_version=version)
        self._device_sw_version = version

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
        await super().async_shutdown()
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self._flush_task is not None:
            self._flush_task.cancel()
            self._flush_task = None
        if self._unsub_stale is not None:
            self._unsub_stale()
            self._unsub_stale = None
        for task in list(self._background):
            task.cancel()
        await self.client.stop()

    def command_taskid(self) -> str:
        """Return the task id commands about the current job carry ("0" with no job)."""
        job = self.state.job
        return job.taskid if job is not None and job.taskid else "0"

    async def async_command(self, command: Command, *, wait: bool = True) -> None:
        """Send a command; with wait, also wait for the printer's answer."""
        name = f"{command.type}/{command.action}"
        if not self.client.connected:
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="not_connected")
        if not self.printer_available:
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="printer_offline")
        try:
            if wait:
                await self.client.request(command, timeout=COMMAND_TIMEOUT)
            else:
                await self.client.send(command)
        except KobraNotConnectedError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="not_connected"
            ) from err
        except KobraTimeoutError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_timeout",
                translation_placeholders={"command": name},
            ) from err
        except KobraCommandError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_failed",
                translation_placeholders={"command": name, "error": str(err)},
            ) from err
        except KobraError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="communication_error",
                translation_placeholders={"error": str(err)},
            ) from err
