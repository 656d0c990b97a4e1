"""The compared paths from a printer's report to Home Assistant: ours, core MQTT YAML, the raw floor."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
import contextlib
from dataclasses import dataclass
import importlib
import json
import logging
from pathlib import Path
import time
from typing import Any

import aiomqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event

from . import reports
from .hass_env import make_entry, wait_until

_LOGGER = logging.getLogger("bench.paths")
DOMAIN = "anycubic_kobra2"

# (integration key, report kind, value template, unit, device class, state class) for every
# value the benchmark's reports carry; core MQTT YAML sensors get the same unit/class so
# Home Assistant does the same work per state.
YAML_SENSORS: tuple[tuple[str, str, str, str | None, str | None, str | None], ...] = (
    (
        "nozzle_temperature",
        "temp",
        "{{ value_json.data.curr_nozzle_temp }}",
        "°C",
        "temperature",
        "measurement",
    ),
    (
        "bed_temperature",
        "temp",
        "{{ value_json.data.curr_hotbed_temp }}",
        "°C",
        "temperature",
        "measurement",
    ),
    (
        "target_nozzle_temperature",
        "temp",
        "{{ value_json.data.target_nozzle_temp }}",
        "°C",
        "temperature",
        "measurement",
    ),
    (
        "target_bed_temperature",
        "temp",
        "{{ value_json.data.target_hotbed_temp }}",
        "°C",
        "temperature",
        "measurement",
    ),
    ("print_state", "print", "{{ value_json.state }}", None, None, None),
    ("progress", "print", "{{ value_json.data.progress }}", "%", None, "measurement"),
    ("elapsed_time", "print", "{{ value_json.data.print_time }}", "min", "duration", "measurement"),
    (
        "remaining_time",
        "print",
        "{{ value_json.data.remain_time }}",
        "min",
        "duration",
        "measurement",
    ),
    (
        "estimated_finish",
        "print",
        "{{ (now() + timedelta(minutes=value_json.data.remain_time | int)).replace(second=0, microsecond=0).isoformat() }}",
        None,
        "timestamp",
        None,
    ),
    ("current_file", "print", "{{ value_json.data.filename }}", None, None, None),
    (
        "filament_used",
        "print",
        "{{ value_json.data.supplies_usage }}",
        "mm",
        "distance",
        "total_increasing",
    ),
)
# What the integration enables by default today (used when the integration cannot be loaded).
DEFAULT_KEYS = (
    "nozzle_temperature",
    "bed_temperature",
    "print_state",
    "progress",
    "elapsed_time",
    "remaining_time",
    "estimated_finish",
    "current_file",
    "filament_used",
)
KEY_ENTITY = {"temp": "nozzle_temperature", "print": "progress"}
RTYPE = {"temp": "tempature", "print": "print"}


def integration_available() -> bool:
    """Return whether this repository's integration (with its client) can be imported."""
    try:
        importlib.import_module("custom_components.anycubic_kobra2.coordinator")
        importlib.import_module("custom_components.anycubic_kobra2.kobra2.client")
    except ImportError as err:
        _LOGGER.info("integration not importable: %s", err)
        return False
    return True


def transport_available() -> bool:
    """Return whether the integration can use Home Assistant's MQTT connection (ha_mqtt.py)."""
    try:
        importlib.import_module("custom_components.anycubic_kobra2.ha_mqtt")
    except ImportError:
        return False
    return True


def command_yaml(model_id: str, printer_id: str, prefix: str) -> dict[str, list[dict[str, Any]]]:
    """Return a core MQTT button (pause) and number (target nozzle) publishing printer commands."""
    topic = f"{reports.TOPIC_ROOT}/server/printer/{model_id}/{printer_id}/print"
    press = json.dumps(
        {
            "type": "print",
            "action": "pause",
            "msgid": reports.msgid(0),
            "timestamp": 0,
            "data": {"taskid": reports.TASK_ID},
        }
    )
    template = (
        '{"type":"print","action":"update","msgid":"{{ now().timestamp() }}",'
        '"timestamp":{{ (now().timestamp() * 1000) | int }},'
        '"data":{"taskid":"0","settings":{"target_nozzle_temp":{{ value | int }}}}}'
    )
    return {
        "button": [
            {
                "name": f"{prefix} pause",
                "unique_id": f"{prefix}_{printer_id}_pause",
                "command_topic": topic,
                "payload_press": press,
            }
        ],
        "number": [
            {
                "name": f"{prefix} target nozzle",
                "unique_id": f"{prefix}_{printer_id}_target_nozzle",
                "command_topic": topic,
                "command_template": template,
                "min": 0,
                "max": 260,
                "step": 1,
                "unit_of_measurement": "°C",
                "device_class": "temperature",
                "mode": "box",
            }
        ],
    }


def yaml_for(
    printers: Iterable[tuple[str, str]], keys: Iterable[str], prefix: str
) -> list[dict[str, Any]]:
    """Return core MQTT YAML sensors for keys of each (model, printer) on its report topics."""
    wanted = set(keys)
    out: list[dict[str, Any]] = []
    for n, (model_id, printer_id) in enumerate(printers):
        for key, kind, template, unit, dclass, sclass in YAML_SENSORS:
            if key not in wanted:
                continue
            sensor: dict[str, Any] = {
                "name": f"{prefix} {n} {key}",
                "unique_id": f"{prefix}_{printer_id}_{key}",
                "state_topic": reports.report_topic(model_id, printer_id, RTYPE[kind]),
                "value_template": template,
            }
            if unit:
                sensor["unit_of_measurement"] = unit
            if dclass:
                sensor["device_class"] = dclass
            if sclass:
                sensor["state_class"] = sclass
            out.append(sensor)
    return out


class Waiter:
    """Time when every expected entity of one report has its new state."""

    def __init__(self) -> None:
        self.pending: set[str] = set()
        self.first = 0
        self.fut: asyncio.Future[tuple[int, int]] | None = None

    def arm(self, expected: set[str]) -> asyncio.Future[tuple[int, int]]:
        """Expect a change of each entity in expected; the future gets (first, last) times."""
        self.pending = set(expected)
        self.first = 0
        self.fut = asyncio.get_running_loop().create_future()
        return self.fut

    @callback
    def changed(self, entity_id: str, t: int) -> None:
        """Note a state change of entity_id at t."""
        if entity_id not in self.pending:
            return
        if not self.first:
            self.first = t
        self.pending.discard(entity_id)
        if not self.pending and self.fut is not None and not self.fut.done():
            self.fut.set_result((self.first, t))


@dataclass
class Counter:
    """Count changes of one entity and time when it shows a given value."""

    target: float | None = None
    count: int = 0
    fut: asyncio.Future[int] | None = None


class BenchPath:
    """One way a report reaches Home Assistant (a printer of its own in the driver)."""

    name = "?"
    label = "?"
    hold_ms = 0.0  # how long the path may hold an update back on purpose during a burst

    def __init__(
        self, hass: HomeAssistant, printer_index: int, model_id: str, printer_id: str
    ) -> None:
        self.hass = hass
        self.printer_index = printer_index
        self.model_id = model_id
        self.printer_id = printer_id
        self.entities: dict[str, str] = {}  # key → entity_id
        self.expected: dict[str, set[str]] = {}  # kind → entity ids each report changes
        self.waiter = Waiter()
        self.counter = Counter()
        self._unsubs: list[Callable[[], None]] = []

    async def setup(self) -> None:
        """Create the path (entities, connections)."""

    async def teardown(self) -> None:
        """Remove what setup created."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()

    def key_entity(self, kind: str) -> str:
        """Return the entity id whose value identifies report kind."""
        return self.entities[KEY_ENTITY[kind]]

    def track(self) -> None:
        """Listen to state changes of this path's entities."""
        ids = list(self.entities.values())
        if not ids:
            return
        key_ids = {self.entities.get(k) for k in KEY_ENTITY.values()}

        @callback
        def _changed(event: Event[Any]) -> None:
            t = time.perf_counter_ns()
            eid = event.data["entity_id"]
            self.waiter.changed(eid, t)
            if eid in key_ids:
                self._count(event.data["new_state"].state, t)

        self._unsubs.append(async_track_state_change_event(self.hass, ids, _changed))

    def _count(self, state: str, t: int) -> None:
        """Count a change of a key entity; resolve the counter when the target value shows."""
        c = self.counter
        c.count += 1
        if c.target is None or c.fut is None or c.fut.done():
            return
        with contextlib.suppress(ValueError):
            if float(state) == c.target:
                c.fut.set_result(t)

    def arm_counter(self, target: float) -> asyncio.Future[int]:
        """Reset the change counter; the future gets the time the key entity shows target."""
        self.counter = Counter(target=target, fut=asyncio.get_running_loop().create_future())
        return self.counter.fut  # type: ignore[return-value]

    def observe(self) -> Callable[[], dict[str, int]]:
        """Start recording which of this path's entities change; the result stops and returns counts."""
        seen: dict[str, int] = {}
        by_id = {eid: key for key, eid in self.entities.items()}

        @callback
        def _changed(event: Event[Any]) -> None:
            key = by_id.get(event.data["entity_id"])
            if key is not None:
                seen[key] = seen.get(key, 0) + 1

        unsub = async_track_state_change_event(self.hass, list(by_id), _changed)

        def stop() -> dict[str, int]:
            unsub()
            return seen

        return stop

    def shows(self, kind: str, seq: int) -> bool:
        """Return whether the key entity of kind shows the value of report seq."""
        try:
            return float(self.state_of(KEY_ENTITY[kind]) or "nan") == float(
                reports.key_value(kind, seq)
            )
        except ValueError:
            return False

    def state_of(self, key: str) -> str | None:
        """Return the current state string of an entity of this path."""
        st = self.hass.states.get(self.entities[key])
        return st.state if st is not None else None


class CoreYamlPath(BenchPath):
    """(b) Home Assistant's `mqtt` integration with YAML sensors on the report topics."""

    name = "b"
    label = "core MQTT YAML sensors"

    def __init__(self, *args: Any, keys: Iterable[str]) -> None:
        super().__init__(*args)
        self.keys = tuple(keys)

    def yaml(self) -> list[dict[str, Any]]:
        """Return this path's sensor definitions."""
        return yaml_for([(self.model_id, self.printer_id)], self.keys, "bench_b")

    async def setup(self) -> None:
        """Look up the sensors created from configuration.yaml (the mqtt entry is set up already)."""
        reg = er.async_get(self.hass)
        for key in self.keys:
            eid = reg.async_get_entity_id("sensor", "mqtt", f"bench_b_{self.printer_id}_{key}")
            if eid is None:
                raise RuntimeError(f"core MQTT sensor for {key} missing")
            self.entities[key] = eid
        self.track()


async def setup_core_mqtt(
    hass: HomeAssistant, host: str, port: int, platforms: dict[str, list[dict[str, Any]]]
) -> None:
    """Write configuration.yaml with the YAML entities and set up the mqtt integration against host:port."""
    from homeassistant.components.mqtt import const as mqtt_const
    from homeassistant.setup import async_setup_component

    write_mqtt_yaml(hass, platforms)
    entry = make_entry(
        "mqtt",
        {"broker": host, "port": port},
        options={"discovery": False},
        title="bench broker",
        version=mqtt_const.CONFIG_ENTRY_VERSION,
        minor_version=mqtt_const.CONFIG_ENTRY_MINOR_VERSION,
    )
    await hass.config_entries.async_add(entry)
    if not await async_setup_component(hass, "mqtt", {}):
        raise RuntimeError("mqtt did not set up")
    await hass.async_block_till_done()
    await wait_until(
        lambda: entry.state is ConfigEntryState.LOADED and _mqtt_connected(hass), 20, "core MQTT"
    )


def write_mqtt_yaml(hass: HomeAssistant, platforms: dict[str, list[dict[str, Any]]]) -> None:
    """Write configuration.yaml holding only MQTT entities (JSON is valid YAML)."""
    write_config(Path(hass.config.config_dir), platforms)


def write_config(config_dir: Path, platforms: dict[str, list[dict[str, Any]]]) -> None:
    """Write configuration.yaml with the given MQTT platforms."""
    conf = {"mqtt": {k: v for k, v in platforms.items() if v}}
    (config_dir / "configuration.yaml").write_text(json.dumps(conf, indent=1))


def entity_id_for(hass: HomeAssistant, domain: str, platform: str, unique_id: str) -> str | None:
    """Return the entity id registered for a unique id."""
    return er.async_get(hass).async_get_entity_id(domain, platform, unique_id)


def _mqtt_connected(hass: HomeAssistant) -> bool:
    """Return whether Home Assistant's MQTT client is connected."""
    data = hass.data.get("mqtt")
    return bool(data is not None and data.client.connected)


class RawPath(BenchPath):
    """(c) a bare aiomqtt subscriber in Home Assistant's event loop: the floor."""

    name = "c"
    label = "raw aiomqtt subscriber (floor)"

    def __init__(self, *args: Any, host: str, port: int) -> None:
        super().__init__(*args)
        self.host = host
        self.port = port
        self._task: asyncio.Task[None] | None = None
        self.last_seq = -1
        self.entities = {KEY_ENTITY["temp"]: "raw.temp", KEY_ENTITY["print"]: "raw.print"}
        self.expected = {"temp": {"raw.temp"}, "print": {"raw.print"}}

    def shows(self, kind: str, seq: int) -> bool:
        """Return whether the last report received was seq."""
        return self.last_seq == seq

    async def setup(self) -> None:
        """Connect and subscribe to the printer's reports."""
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._run(ready))
        await asyncio.wait_for(ready, 20)

    async def _run(self, ready: asyncio.Future[None]) -> None:
        """Receive reports; note the arrival time (and, for counters, the value) of each."""
        topic = f"{reports.TOPIC_ROOT}/printer/public/{self.model_id}/{self.printer_id}/#"
        async with aiomqtt.Client(self.host, self.port, identifier="bench-raw-floor") as client:
            await client.subscribe(topic, qos=0)
            ready.set_result(None)
            async for message in client.messages:
                t = time.perf_counter_ns()
                eid = "raw.temp" if "/tempature/" in str(message.topic) else "raw.print"
                self.waiter.changed(eid, t)
                body = json.loads(bytes(message.payload))  # type: ignore[arg-type]
                with contextlib.suppress(KeyError, ValueError, TypeError):
                    self.last_seq = reports.seq_of(body["msgid"])
                data = body.get("data") or {}
                value = data.get("curr_nozzle_temp" if eid == "raw.temp" else "progress")
                self._count(str(value), t)

    async def teardown(self) -> None:
        """Disconnect."""
        await super().teardown()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task


class IntegrationPath(BenchPath):
    """(a) this integration: one config entry (and its own broker connection) per printer."""

    name = "a"
    label = "anycubic_kobra2 (aiomqtt)"

    def __init__(
        self, *args: Any, host: str, port: int, extra_data: dict[str, Any] | None = None
    ) -> None:
        super().__init__(*args)
        self.host = host
        self.port = port
        self.extra_data = extra_data or {}
        self.entry: Any = None
        self.setup_s = 0.0
        throttle = importlib.import_module("custom_components.anycubic_kobra2.throttle")
        self.hold_ms = float(getattr(throttle, "FLUSH_INTERVAL", 0.0) or 0.0) * 1000
        self.all_entities: dict[tuple[str, str], str] = {}  # (domain, key) → entity id

    def entry_data(self) -> dict[str, Any]:
        """Return the config entry data (keys of API.md)."""
        return {
            "host": self.host,
            "port": self.port,
            "username": "",
            "password": "",
            "tls": False,
            "verify_ssl": True,
            "ca_cert": "",
            "client_cert": "",
            "client_key": "",
            "model_id": self.model_id,
            "printer_id": self.printer_id,
            **self.extra_data,
        }

    async def setup(self, track: bool = True) -> None:
        """Add and set up the config entry; map its entities by key."""
        self.entry = make_entry(
            DOMAIN,
            self.entry_data(),
            title=f"Kobra {self.printer_id[:6]}",
            unique_id=self.printer_id,
        )
        t = time.perf_counter()
        await self.hass.config_entries.async_add(self.entry)
        self.setup_s = time.perf_counter() - t
        if self.entry.state is not ConfigEntryState.LOADED:
            raise RuntimeError(
                f"integration entry did not load: {self.entry.state} {self.entry.reason}"
            )
        self.map_entities()
        if track:
            self.track()

    def map_entities(self) -> None:
        """Map entity keys (unique id "<printer_id>_<key>") to enabled entity ids."""
        reg = er.async_get(self.hass)
        prefix = f"{self.printer_id}_"
        self.all_entities = {
            (ent.domain, ent.unique_id.removeprefix(prefix)): ent.entity_id
            for ent in er.async_entries_for_config_entry(reg, self.entry.entry_id)
            if ent.unique_id.startswith(prefix) and ent.disabled_by is None
        }
        # Report values are compared on sensors; other domains only where no sensor has the key.
        self.entities = {}
        for (_domain, key), eid in sorted(
            self.all_entities.items(), key=lambda kv: kv[0][0] != "sensor"
        ):
            self.entities.setdefault(key, eid)

    async def teardown(self) -> None:
        """Remove the config entry."""
        await super().teardown()
        if self.entry is not None:
            await self.hass.config_entries.async_remove(self.entry.entry_id)


class TransportPath(IntegrationPath):
    """(t) this integration over Home Assistant's own MQTT connection (transport.py)."""

    name = "t"
    label = "anycubic_kobra2 (HA MQTT transport)"

    swapped = False

    async def setup(self, track: bool = True) -> None:
        """Set up an entry on the HA MQTT transport (swapped in when the config has no option for it)."""
        const = importlib.import_module("custom_components.anycubic_kobra2.const")
        key = getattr(const, "CONF_TRANSPORT", None)
        value = next(
            (
                getattr(const, n)
                for n in dir(const)
                if n.startswith("TRANSPORT_") and "MQTT" in n and "HA" in n
            ),
            None,
        )
        if key is not None and value is not None:
            self.extra_data = {key: value}
        await super().setup(track=False)
        coordinator = self.entry.runtime_data.coordinator
        if type(coordinator.client).__name__ == "KobraClient":
            await self._swap(coordinator)
        if track:
            self.track()

    async def _swap(self, coordinator: Any) -> None:
        """Replace the coordinator's aiomqtt client by HaMqttLink, wired the same way."""
        transport_mod = importlib.import_module("custom_components.anycubic_kobra2.ha_mqtt")
        await coordinator.client.stop()
        link = transport_mod.HaMqttLink(
            self.hass,
            self.model_id,
            self.printer_id,
            on_report=coordinator._handle_report,
            on_connection=coordinator._handle_connection,
            topic_style=coordinator.topic_style,
        )
        await link.connect()
        link.start()
        coordinator.client = link
        self.swapped = True
        self.label = "anycubic_kobra2 (HA MQTT transport, swapped in by the benchmark)"
