"""Repair issues: a printer that never reports after setup, URL prints refused by firmware 3.1.x."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from homeassistant.components.repairs import RepairsFlow
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .compat import vol
from .const import CONF_MODEL_ID, CONF_PRINTER_ID, DOMAIN, LOGGER
from .coordinator import KobraCoordinator
from .data import KobraConfigEntry
from .kobra2 import (
    ACTIVE_PHASES,
    MAX_REMEMBERED_TASKS,
    MODEL_NAMES,
    Command,
    PrintPhase,
    PrintReport,
    Report,
    firmware_checks_url,
    host_passes_url_check,
    normalize_printer_id,
    valid_printer_id,
)

if TYPE_CHECKING:
    # Home Assistant 2026 types repair flow results apart; before, they were plain flow results.
    try:
        from homeassistant.components.repairs import (  # type: ignore[attr-defined]
            RepairsFlowResult as FixFlowResult,
        )
    except ImportError:  # pragma: no cover
        from homeassistant.data_entry_flow import (  # type: ignore[assignment]
            FlowResult as FixFlowResult,
        )

ISSUE_PRINTER_SILENT: Final = "printer_silent"
ISSUE_URL_PRINT_REFUSED: Final = "url_print_refused"

# A printer pushes temperatures every few seconds, so this much silence right after setup
# means the printer does not talk to this broker under this id, not that it was busy.
SILENT_AFTER: Final = timedelta(minutes=10)

LEARN_MORE_URL: Final = "https://github.com/anycubic-kobra2/anycubic_kobra2#troubleshooting"
HA_MQTT_BROKER: Final = "Home Assistant's MQTT broker"

_STORE_VERSION: Final = 1
_STORE_KEY: Final = f"{DOMAIN}.seen_printers"
_SAVE_DELAY: Final = 10
DATA_SEEN: HassKey[SeenPrinters] = HassKey(f"{DOMAIN}_seen_printers")


def issue_id(kind: str, entry_id: str) -> str:
    """Return the id of one kind of issue for one config entry."""
    return f"{kind}_{entry_id}"


class SeenPrinters:
    """Remembers (across restarts) which entries' printers have ever reported."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Prepare the store (loaded by async_load)."""
        self._store: Store[dict[str, list[str]]] = Store(hass, _STORE_VERSION, _STORE_KEY)
        self._entries: set[str] = set()

    async def async_load(self) -> None:
        """Read what was stored."""
        data = await self._store.async_load()
        if data is not None:
            self._entries = set(data.get("entries", []))

    def __contains__(self, entry_id: object) -> bool:
        """Return whether the entry's printer has reported at least once."""
        return entry_id in self._entries

    @callback
    def async_add(self, entry_id: str) -> None:
        """Remember that the entry's printer reported."""
        if entry_id not in self._entries:
            self._entries.add(entry_id)
            self._store.async_delay_save(self._data, _SAVE_DELAY)

    @callback
    def async_remove(self, entry_id: str) -> None:
        """Forget an entry."""
        if entry_id in self._entries:
            self._entries.discard(entry_id)
            self._store.async_delay_save(self._data, _SAVE_DELAY)

    def _data(self) -> dict[str, list[str]]:
        """Return what to store."""
        return {"entries": sorted(self._entries)}


async def _async_seen_printers(hass: HomeAssistant) -> SeenPrinters:
    """Return the shared record of printers that reported, loading it once."""
    if (seen := hass.data.get(DATA_SEEN)) is None:
        seen = SeenPrinters(hass)
        await seen.async_load()
        # Another entry may have loaded it meanwhile; keep the first.
        seen = hass.data.setdefault(DATA_SEEN, seen)
    return seen


def _broker_text(entry: KobraConfigEntry) -> str:
    """Describe the broker the entry uses, for issue texts."""
    host = entry.data.get(CONF_HOST)
    if not host:
        return HA_MQTT_BROKER
    port = entry.data.get(CONF_PORT)
    return f"{host}:{port}" if port else str(host)


class RepairMonitor:
    """Raises and clears the repair issues of one printer."""

    def __init__(
        self, hass: HomeAssistant, coordinator: KobraCoordinator, seen: SeenPrinters
    ) -> None:
        """Watch one printer."""
        self.hass = hass
        self.coordinator = coordinator
        self.entry = coordinator.config_entry
        self._seen = seen
        self._unsub_timer: CALLBACK_TYPE | None = None
        # Oldest first, at most MAX_REMEMBERED_TASKS: task ids come from the broker.
        self._started_tasks: dict[str, None] = {}

    @property
    def silent_issue_id(self) -> str:
        """Return the id of the "printer never reported" issue."""
        return issue_id(ISSUE_PRINTER_SILENT, self.entry.entry_id)

    @property
    def url_issue_id(self) -> str:
        """Return the id of the "URL print refused" issue."""
        return issue_id(ISSUE_URL_PRINT_REFUSED, self.entry.entry_id)

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Start watching; return the function that stops it."""
        unsub_reports = self.coordinator.async_add_report_listener(self._handle_report)
        if self.entry.entry_id in self._seen:
            ir.async_delete_issue(self.hass, DOMAIN, self.silent_issue_id)
        else:
            self._unsub_timer = async_call_later(self.hass, SILENT_AFTER, self._check_silent)

        @callback
        def stop() -> None:
            """Stop the listener and the timer."""
            unsub_reports()
            if self._unsub_timer is not None:
                self._unsub_timer()
                self._unsub_timer = None

        return stop

    @callback
    def _handle_report(self, report: Report) -> None:
        """Note that the printer talks; remember which tasks really started."""
        if self.entry.entry_id not in self._seen:
            self._seen.async_add(self.entry.entry_id)
            ir.async_delete_issue(self.hass, DOMAIN, self.silent_issue_id)
            if self._unsub_timer is not None:
                self._unsub_timer()
                self._unsub_timer = None
        if (
            isinstance(report, PrintReport)
            and report.job.taskid
            and report.phase is not None
            and (report.phase in ACTIVE_PHASES or report.phase is PrintPhase.FINISHED)
        ):
            tasks = self._started_tasks
            if report.job.taskid not in tasks:
                tasks[report.job.taskid] = None
                if len(tasks) > MAX_REMEMBERED_TASKS:
                    del tasks[next(iter(tasks))]

    @callback
    def _check_silent(self, _now: datetime) -> None:
        """Raise the issue when nothing came from the printer since setup."""
        self._unsub_timer = None
        if self.entry.entry_id in self._seen:
            return
        if not self.coordinator.broker_connected:
            # A broker outage is not the printer's silence (and has its own log lines).
            self._unsub_timer = async_call_later(self.hass, SILENT_AFTER, self._check_silent)
            return
        data = self.entry.data
        LOGGER.warning(
            "Printer %s has not published anything on %s since it was set up",
            data[CONF_PRINTER_ID],
            _broker_text(self.entry),
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self.silent_issue_id,
            # Fixable: the fix flow lets the user correct a mistyped printer id.
            is_fixable=True,
            data={"entry_id": self.entry.entry_id},
            severity=ir.IssueSeverity.WARNING,
            learn_more_url=LEARN_MORE_URL,
            translation_key=ISSUE_PRINTER_SILENT,
            translation_placeholders={
                "name": self.entry.title,
                "printer_id": data[CONF_PRINTER_ID],
                "model": MODEL_NAMES.get(data[CONF_MODEL_ID], data[CONF_MODEL_ID]),
                "broker": _broker_text(self.entry),
                "minutes": str(int(SILENT_AFTER.total_seconds() // 60)),
            },
        )

    @callback
    def async_url_print_result(self, command: Command, *, ok: bool) -> None:
        """Judge the outcome of a URL print: refused by the firmware's domain check or not."""
        url = command.data.get("url") if isinstance(command.data, Mapping) else None
        if not isinstance(url, str):
            return
        taskid = command.taskid
        started = ok or (taskid is not None and taskid in self._started_tasks)
        if started:
            ir.async_delete_issue(self.hass, DOMAIN, self.url_issue_id)
            return
        firmware = self.coordinator.state.firmware_version
        if not firmware_checks_url(firmware) or host_passes_url_check(url):
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self.url_issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            learn_more_url=LEARN_MORE_URL,
            translation_key=ISSUE_URL_PRINT_REFUSED,
            translation_placeholders={
                "name": self.entry.title,
                "firmware": str(firmware),
                "host": urlsplit(url).hostname or url,
            },
        )


async def async_create_monitor(hass: HomeAssistant, coordinator: KobraCoordinator) -> RepairMonitor:
    """Return the repair monitor of one printer (started by async_start once platforms exist)."""
    return RepairMonitor(hass, coordinator, await _async_seen_printers(hass))


async def async_remove_entry_repairs(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the issues and the memory of a removed entry."""
    for kind in (ISSUE_PRINTER_SILENT, ISSUE_URL_PRINT_REFUSED):
        ir.async_delete_issue(hass, DOMAIN, issue_id(kind, entry_id))
    (await _async_seen_printers(hass)).async_remove(entry_id)


class PrinterIdFixFlow(RepairsFlow):
    """Correct the printer id of a printer that never reported (the likely typo)."""

    def __init__(self, entry: KobraConfigEntry) -> None:
        """Fix the given entry."""
        self.entry = entry

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> FixFlowResult:
        """Start the flow (its input is the issue, not a form)."""
        return await self.async_step_printer_id()

    async def async_step_printer_id(
        self, user_input: dict[str, str] | None = None
    ) -> FixFlowResult:
        """Show the likely causes and let the user correct the printer id."""
        errors: dict[str, str] = {}
        current = self.entry.data[CONF_PRINTER_ID]
        if user_input is not None:
            printer_id = user_input[CONF_PRINTER_ID].strip()
            if not valid_printer_id(printer_id):
                errors[CONF_PRINTER_ID] = "invalid_printer_id"
            else:
                printer_id = normalize_printer_id(printer_id)
                if printer_id != current and self._in_use(printer_id):
                    errors[CONF_PRINTER_ID] = "already_configured"
                else:
                    self._apply(printer_id)
                    return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="printer_id",
            data_schema=vol.Schema(
                {
                    vol.Required(
                        CONF_PRINTER_ID,
                        default=user_input[CONF_PRINTER_ID] if user_input else current,
                    ): str
                }
            ),
            description_placeholders={
                "name": self.entry.title,
                "broker": _broker_text(self.entry),
            },
            errors=errors,
        )

    def _in_use(self, printer_id: str) -> bool:
        """Return whether another entry already has the printer."""
        return any(
            other.unique_id == printer_id
            for other in self.hass.config_entries.async_entries(DOMAIN)
            if other.entry_id != self.entry.entry_id
        )

    def _apply(self, printer_id: str) -> None:
        """Store the id and reload the entry (a new id is watched afresh)."""
        if printer_id != self.entry.data[CONF_PRINTER_ID]:
            self.hass.config_entries.async_update_entry(
                self.entry,
                unique_id=printer_id,
                data={**self.entry.data, CONF_PRINTER_ID: printer_id},
            )
        self.hass.config_entries.async_schedule_reload(self.entry.entry_id)


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Return the fix flow of a fixable issue (only the silent printer has one)."""
    entry_id = (data or {}).get("entry_id")
    entry = hass.config_entries.async_get_entry(str(entry_id)) if entry_id else None
    if entry is None or entry.domain != DOMAIN:
        raise ValueError(f"unknown issue {issue_id}")
    return PrinterIdFixFlow(entry)
