"""Run the demo: an embedded MQTT broker, a simulated Kobra 2 Pro and Home Assistant with the integration set up."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping
import contextlib
from dataclasses import dataclass
import importlib.util
import json
import logging
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    # Run as a script from anywhere: the simulator lives in the repository's custom_components.
    sys.path.insert(0, str(REPO))

DOMAIN = "anycubic_kobra2"
TEMPLATE_CONFIG_DIR = REPO / "demo" / "config"
DASHBOARD = REPO / "docs" / "dashboard.yaml"
# Marks a directory this script made, so resetting it never deletes someone else's files.
MARKER = ".kobra2-demo"
DEMO_NAME = "Demo"
DEMO_USER = "demo"
DEMO_PASSWORD = "demo1234"
# A fixed id keeps the printer's entity ids and URLs the same from run to run.
DEMO_PRINTER_ID = "5ca1ab1e0ddba11c0ffee00d15ea5e00"
DEMO_MODEL_ID = "20021"
LOOPBACK = "127.0.0.1"
HA_START_TIMEOUT = 300.0
HA_STOP_TIMEOUT = 60.0


class DemoError(Exception):
    """Something the demo needs did not work; the message says what."""


def say(message: str) -> None:
    """Print a progress line for the person running the demo."""
    print(f"[demo] {message}", flush=True)


# --------------------------------------------------------------------------- options


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/demo",
        description=(
            "Start Home Assistant with the Anycubic Kobra 2 integration already set up. Without --broker-host "
            "an embedded MQTT broker and a simulated Kobra 2 Pro (with a print under way) are started too."
        ),
    )
    parser.add_argument(
        "--port", type=int, default=8123, help="Home Assistant's HTTP port (default 8123)"
    )
    parser.add_argument(
        "--listen",
        default=LOOPBACK,
        help="address Home Assistant listens on (default 127.0.0.1; the demo login is public, keep it local)",
    )
    parser.add_argument(
        "--config-dir",
        type=Path,
        default=TEMPLATE_CONFIG_DIR,
        help="Home Assistant configuration directory (default demo/config; reset on every start)",
    )
    ext = parser.add_argument_group(
        "external broker (a real printer; no embedded broker, no simulator)"
    )
    ext.add_argument("--broker-host", help="MQTT broker the printer publishes to")
    ext.add_argument("--broker-port", type=int, help="its port (default 1883, or 8883 with --tls)")
    ext.add_argument("--username", help="broker user name")
    ext.add_argument("--password", help="broker password (or set KOBRA2_DEMO_BROKER_PASSWORD)")
    ext.add_argument("--tls", action="store_true", help="connect to the broker with TLS")
    ext.add_argument(
        "--ca-cert", type=Path, help="PEM file of the CA that signed the broker certificate"
    )
    ext.add_argument(
        "--printer-id",
        help="add this printer (32 hex characters) instead of the first one seen on the broker",
    )
    ext.add_argument(
        "--model-id",
        default=DEMO_MODEL_ID,
        help="model of --printer-id (default 20021, Kobra 2 Pro)",
    )
    sim = parser.add_argument_group("simulator")
    sim.add_argument(
        "--time-scale",
        type=float,
        default=10.0,
        help="how much faster than real time the simulated printer runs (default 10)",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show Home Assistant's console output"
    )
    args = parser.parse_args(argv)
    if args.broker_host is None:
        for name in ("broker_port", "username", "password", "ca_cert", "printer_id"):
            if getattr(args, name) is not None:
                parser.error(f"--{name.replace('_', '-')} needs --broker-host")
        if args.tls:
            parser.error("--tls needs --broker-host")
    if args.password is None:
        args.password = os.environ.get("KOBRA2_DEMO_BROKER_PASSWORD")
    if args.broker_port is None:
        args.broker_port = 8883 if args.tls else 1883
    return args


@dataclass(frozen=True, slots=True)
class BrokerSettings:
    """How Home Assistant reaches the MQTT broker (what the config flow is given)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_cert: str | None = None

    def flow_values(self) -> dict[str, Any]:
        """Return the values for the config flow's broker step."""
        values: dict[str, Any] = {"host": self.host, "port": self.port, "tls": self.tls}
        if self.username:
            values["username"] = self.username
        if self.password:
            values["password"] = self.password
        if self.tls:
            values["verify_ssl"] = self.ca_cert is not None
            if self.ca_cert:
                values["ca_cert"] = self.ca_cert
        return values


# --------------------------------------------------------------------------- config directory


def prepare_config_dir(config_dir: Path) -> None:
    """Reset the configuration directory to the committed configuration.yaml plus a link to the integration."""
    config_dir.mkdir(parents=True, exist_ok=True)
    entries = {p.name for p in config_dir.iterdir()}
    if entries - {"configuration.yaml"} and MARKER not in entries:
        raise DemoError(
            f"{config_dir} holds files the demo did not make; give an empty directory or the demo's own"
        )
    for path in config_dir.iterdir():
        if path.name == "configuration.yaml":
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    (config_dir / MARKER).write_text(
        "Made by scripts/demo; everything here but configuration.yaml is reset.\n"
    )
    template = TEMPLATE_CONFIG_DIR / "configuration.yaml"
    target = config_dir / "configuration.yaml"
    if not target.exists():
        shutil.copyfile(template, target)
    custom = config_dir / "custom_components"
    custom.mkdir()
    source = REPO / "custom_components" / DOMAIN
    # Relative when possible, so the link also works where the repository is mounted elsewhere.
    try:
        link_target = Path(os.path.relpath(source, custom))
    except ValueError:
        link_target = source
    (custom / DOMAIN).symlink_to(link_target, target_is_directory=True)


def ensure_frontend() -> None:
    """Install Home Assistant's frontend package when the environment lacks it (the UI needs it)."""
    if importlib.util.find_spec("hass_frontend") is not None:
        return
    spec = importlib.util.find_spec("homeassistant")
    if spec is None or spec.origin is None:
        raise DemoError("Home Assistant is not installed in this environment: run scripts/setup")
    manifest = Path(spec.origin).parent / "components" / "frontend" / "manifest.json"
    requirement = json.loads(manifest.read_text())["requirements"][0]
    say(f"installing {requirement} (Home Assistant's web UI) into {sys.prefix}")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            requirement,
        ],
        check=True,
    )


# Newer Home Assistant versions import every base entity component (and their packages) to answer the
# frontend's service list; without those packages the web UI never gets past "Loading...".
_UI_IMPORT_CHECK = """
from homeassistant.helpers import service
load = getattr(service, "_base_components", None)
if load is not None:
    load()
"""


def check_ui_imports() -> None:
    """Fail early, with the missing module named, when Home Assistant's UI could not load in this environment."""
    result = subprocess.run(
        [sys.executable, "-c", _UI_IMPORT_CHECK],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise DemoError(
            f"Home Assistant's web UI cannot work in this environment ({last}); run scripts/setup"
        )


def port_in_use(host: str, port: int) -> bool:
    """Return True when something already listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((LOOPBACK if host in ("0.0.0.0", "") else host, port)) == 0


# --------------------------------------------------------------------------- broker and simulator


class DemoPrinter:
    """The simulated Kobra 2 Pro: sample files on both storages and one print after another."""

    # Seconds the printer stays idle between two prints, so the idle state can be seen too.
    IDLE_BETWEEN_PRINTS = 60.0

    def __init__(self, host: str, port: int, time_scale: float) -> None:
        from kobra2_sim import (
            KobraSimulator,
            SimulatorConfig,
        )

        self.sim = KobraSimulator(
            SimulatorConfig(
                host=host,
                port=port,
                model_id=DEMO_MODEL_ID,
                printer_id=DEMO_PRINTER_ID,
                time_scale=time_scale,
            )
        )
        self._printed = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect the printer and start the first print, as if chosen on its touchscreen."""
        await self.sim.start()
        await self._start_next()
        self._task = asyncio.create_task(self._keep_printing())

    async def _start_next(self) -> None:
        """Start the next G-code file of the internal storage, round robin."""
        from kobra2_sim import LOCAL

        store = self.sim.local_files
        paths = [path for path in store if not store[path].is_dir]
        if not paths:
            raise DemoError("the simulator has no sample files")
        await self.sim.start_print(paths[self._printed % len(paths)], LOCAL)
        self._printed += 1

    async def _keep_printing(self) -> None:
        """Start another print a while after the last one ended (or was stopped), so the demo stays alive."""
        idle_since: float | None = None
        while True:
            await asyncio.sleep(2.0)
            if self.sim.state.status != "free":
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since >= self.IDLE_BETWEEN_PRINTS:
                idle_since = None
                # The printer may have been busy again by then (a print started from Home Assistant).
                with contextlib.suppress(RuntimeError):
                    await self._start_next()

    async def stop(self) -> None:
        """Disconnect cleanly (the printer's offline report is sent)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.sim.stop()


# --------------------------------------------------------------------------- Home Assistant


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the demo process dies, even by SIGKILL (Linux only)."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


class HomeAssistant:
    """Home Assistant as a child process with its own configuration directory."""

    def __init__(self, config_dir: Path, listen: str, port: int, verbose: bool) -> None:
        self.config_dir = config_dir
        self.listen = listen
        self.port = port
        self.verbose = verbose
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        """Return the address a browser on this machine opens."""
        host = LOOPBACK if self.listen in ("0.0.0.0", "") else self.listen
        return f"http://{host}:{self.port}"

    @property
    def log_file(self) -> Path:
        """Return Home Assistant's own log file."""
        return self.config_dir / "home-assistant.log"

    async def start(self) -> None:
        """Start the process (it runs in its own session, so Ctrl-C reaches only this script)."""
        env = dict(os.environ, KOBRA2_DEMO_HOST=self.listen, KOBRA2_DEMO_PORT=str(self.port))
        output: Any = None if self.verbose else subprocess.DEVNULL
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "homeassistant",
            "--config",
            str(self.config_dir),
            # Nothing to install: the environment has every package the demo's integrations need.
            "--skip-pip",
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            start_new_session=True,
            # Only calls prctl between fork and exec, which is safe even with threads around.
            preexec_fn=_die_with_parent,
        )

    @property
    def running(self) -> bool:
        """Return True while the process lives."""
        return self.proc is not None and self.proc.returncode is None

    def log_tail(self, lines: int = 30) -> str:
        """Return the end of Home Assistant's log, for error messages."""
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def kill(self) -> None:
        """Kill at once (second Ctrl-C)."""
        if self.running and self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()

    async def stop(self) -> None:
        """Ask Home Assistant to stop, and kill it when it takes too long."""
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        say("stopping Home Assistant")
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), HA_STOP_TIMEOUT)
        except TimeoutError:
            say("Home Assistant did not stop in time; killing it")
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


class HomeAssistantApi:
    """The parts of Home Assistant's HTTP and websocket APIs that onboarding and the config flow use."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self.token: str | None = None

    @property
    def client_id(self) -> str:
        """Return the OAuth client id (the frontend's own, the instance URL)."""
        return f"{self.url}/"

    def _headers(self) -> dict[str, str]:
        """Return the authorisation header once there is a token."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def request(
        self, method: str, path: str, payload: Mapping[str, Any] | None = None
    ) -> Any:
        """Send a JSON request and return the decoded answer; raise DemoError on an HTTP error."""
        async with self.session.request(
            method, f"{self.url}{path}", json=payload, headers=self._headers()
        ) as resp:
            text = await resp.text()
            if resp.status >= 400:
                raise DemoError(f"{method} {path}: HTTP {resp.status}: {text[:500]}")
            return json.loads(text) if text else None

    async def wait_until_up(self, ha: HomeAssistant) -> None:
        """Wait for the HTTP server to answer, failing early when the process dies."""
        deadline = time.monotonic() + HA_START_TIMEOUT
        while time.monotonic() < deadline:
            if not ha.running:
                raise DemoError(
                    f"Home Assistant exited during start; end of its log:\n{ha.log_tail()}"
                )
            try:
                async with self.session.get(f"{self.url}/api/onboarding") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
        raise DemoError(
            f"Home Assistant did not answer within {HA_START_TIMEOUT:.0f} s; end of its log:\n{ha.log_tail()}"
        )

    async def onboard(self) -> None:
        """Do the onboarding a person would do in the browser: user, location, analytics, integrations."""
        steps = await self.request("GET", "/api/onboarding")
        done = {step["step"] for step in steps if step["done"]}
        if "user" in done:
            raise DemoError("onboarding was already done in a fresh configuration directory")
        answer = await self.request(
            "POST",
            "/api/onboarding/users",
            {
                "name": DEMO_NAME,
                "username": DEMO_USER,
                "password": DEMO_PASSWORD,
                "client_id": self.client_id,
                "language": "en",
            },
        )
        await self._fetch_token(answer["auth_code"])
        await self.request("POST", "/api/onboarding/core_config")
        await self.request("POST", "/api/onboarding/analytics")
        await self.request(
            "POST",
            "/api/onboarding/integration",
            {"client_id": self.client_id, "redirect_uri": f"{self.url}/?auth_callback=1"},
        )

    async def _fetch_token(self, code: str) -> None:
        """Trade an authorisation code for an access token."""
        async with self.session.post(
            f"{self.url}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        ) as resp:
            if resp.status != 200:
                raise DemoError(f"token request failed: HTTP {resp.status}: {await resp.text()}")
            self.token = (await resp.json())["access_token"]

    async def websocket_command(self, command: Mapping[str, Any], *, optional: bool = False) -> Any:
        """Run one websocket API command and return its result (None for a failed optional one)."""
        async with self.session.ws_connect(f"{self.url}/api/websocket") as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self.token})
            auth = await ws.receive_json()
            if auth.get("type") != "auth_ok":
                raise DemoError(f"websocket authentication failed: {auth}")
            await ws.send_json({"id": 1, **command})
            while True:
                msg = await ws.receive_json()
                if msg.get("id") == 1 and msg.get("type") == "result":
                    if not msg.get("success"):
                        if optional:
                            return None
                        raise DemoError(
                            f"websocket command {command['type']} failed: {msg.get('error')}"
                        )
                    return msg["result"]


def fill_form(schema: list[Mapping[str, Any]], values: Mapping[str, Any]) -> dict[str, Any]:
    """Answer a config flow form from values, descending into sections; unknown fields keep their defaults."""
    answer: dict[str, Any] = {}
    for field in schema:
        name = field["name"]
        if field.get("type") == "expandable":
            nested = fill_form(field.get("schema", []), values)
            if nested or field.get("required"):
                answer[name] = nested
        elif name in values:
            answer[name] = values[name]
    return answer


def choose_printer(schema: list[Mapping[str, Any]], wanted: str | None) -> str:
    """Pick the printer in the flow's printer step: the wanted one, else the first one seen, else manual entry."""
    options: list[str] = []
    for field in schema:
        if field["name"] != "printer_id":
            continue
        for option in field.get("options") or field.get("selector", {}).get("select", {}).get(
            "options", []
        ):
            if isinstance(option, Mapping):
                options.append(str(option["value"]))
            elif isinstance(option, list | tuple):
                options.append(str(option[0]))
            else:
                options.append(str(option))
    found = [opt for opt in options if opt != "manual"]
    if wanted is not None:
        return wanted if wanted in found else "manual"
    if not found:
        raise DemoError("no printer was seen on the broker; is it on? (or give --printer-id)")
    return found[0]


async def add_printer(
    api: HomeAssistantApi, broker: BrokerSettings, printer_id: str | None, model_id: str
) -> str:
    """Run the integration's config flow as the UI would; return the new config entry's id."""
    flow = await api.request(
        "POST",
        "/api/config/config_entries/flow",
        {"handler": DOMAIN, "show_advanced_options": False},
    )
    answered: set[str] = set()
    while flow["type"] == "form":
        step = flow["step_id"]
        if flow.get("errors"):
            raise DemoError(f"the config flow's {step!r} step reported {flow['errors']}")
        if step in answered:
            raise DemoError(f"the config flow asked for step {step!r} twice")
        answered.add(step)
        schema = flow.get("data_schema") or []
        if step == "user":
            answer = fill_form(schema, broker.flow_values())
        elif step == "printer":
            answer = {"printer_id": choose_printer(schema, printer_id)}
        elif step == "manual":
            if printer_id is None:
                raise DemoError("the config flow wants a printer id: give --printer-id")
            answer = fill_form(schema, {"model_id": model_id, "printer_id": printer_id})
        else:
            raise DemoError(f"unexpected config flow step {step!r}")
        flow = await api.request(
            "POST", f"/api/config/config_entries/flow/{flow['flow_id']}", answer
        )
    if flow["type"] != "create_entry":
        raise DemoError(f"the config flow ended with {flow['type']}: {flow.get('reason') or flow}")
    return str(flow["result"]["entry_id"])


async def wait_entry_loaded(api: HomeAssistantApi, entry_id: str, timeout: float = 60.0) -> None:
    """Wait until the config entry is set up."""
    deadline = time.monotonic() + timeout
    state = "unknown"
    while time.monotonic() < deadline:
        entries = await api.request("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
        for entry in entries:
            if entry["entry_id"] == entry_id:
                state = entry["state"]
        if state == "loaded":
            return
        if state in ("setup_error", "migration_error", "failed_unload"):
            break
        await asyncio.sleep(0.5)
    raise DemoError(f"the printer's config entry is {state!r}, not loaded")


async def settle_http_config(api: HomeAssistantApi) -> None:
    """Keep the demo's HTTP settings on Home Assistant versions that store them (2026.10 and later).

    Those versions import the http: section of configuration.yaml as a trial that reverts (with a restart) after
    five minutes unless someone confirms it, and flag the YAML as deprecated. The demo keeps its address in YAML
    so that one file serves every supported version; it confirms the trial and hides that notice. Older versions
    have no such command, and nothing is done.
    """
    config = await api.websocket_command({"type": "http/config"}, optional=True)
    if config is None:
        return
    if config.get("pending"):
        await api.websocket_command({"type": "http/config/promote"})
    await api.websocket_command(
        {
            "type": "repairs/ignore_issue",
            "domain": "http",
            "issue_id": "deprecated_yaml",
            "ignore": True,
        },
        optional=True,
    )


async def hide_installation_notice(api: HomeAssistantApi) -> None:
    """Hide Home Assistant's notice that "Core" installations are deprecated: the demo is not an installation."""
    await api.websocket_command(
        {
            "type": "repairs/ignore_issue",
            "domain": "homeassistant",
            "issue_id": "deprecated_method",
            "ignore": True,
        },
        optional=True,
    )


async def remove_failed_entries(api: HomeAssistantApi) -> None:
    """Remove config entries that onboarding started but cannot load here.

    Onboarding offers a few integrations (weather, text-to-speech, radio) whose packages the demo's environment
    lacks; left alone they would show up as failed on the integrations page.
    """
    for entry in await api.request("GET", "/api/config/config_entries/entry"):
        if entry["domain"] != DOMAIN and entry["state"] in (
            "setup_error",
            "setup_retry",
            "not_loaded",
        ):
            await api.request("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")


DASHBOARD_PREFIX = "kobra_2_pro"
# Where Home Assistant 2026 and later show the dashboard (a dashboard path needs a hyphen).
DASHBOARD_URL_PATH = "kobra2-printer"
DEMO_GRAPH_HOURS = 0.1


def shorten_graphs(node: Any, hours: float) -> None:
    """Set the span of every history graph of a dashboard configuration, in place."""
    if isinstance(node, dict):
        if node.get("type") == "history-graph":
            node["hours_to_show"] = hours
        for value in node.values():
            shorten_graphs(value, hours)
    elif isinstance(node, list):
        for item in node:
            shorten_graphs(item, hours)


async def install_dashboard(api: HomeAssistantApi, device_id: str) -> None:
    """Make the repository's printer dashboard (docs/dashboard.yaml) the default one, so the login lands on it.

    Its entity ids are those of a printer named "Kobra 2 Pro"; a printer with another name (a real Plus, say)
    gets them renamed after its own print state sensor.
    """
    import yaml

    text = DASHBOARD.read_text(encoding="utf-8")
    entities = await api.websocket_command({"type": "config/entity_registry/list"})
    for item in entities:
        entity_id = str(item.get("entity_id", ""))
        if item.get("device_id") == device_id and entity_id.endswith("_print_state"):
            prefix = entity_id.removeprefix("sensor.").removesuffix("_print_state")
            text = text.replace(f".{DASHBOARD_PREFIX}_", f".{prefix}_")
            break
    config = yaml.safe_load(text)
    # The last few minutes instead of hours: the graph fills while someone watches the demo.
    shorten_graphs(config, DEMO_GRAPH_HOURS)
    core = await api.websocket_command(
        {"type": "frontend/get_system_data", "key": "core"}, optional=True
    )
    if core is None:
        # Before 2026 the browser opens the storage-mode default dashboard, saved without url_path.
        await api.websocket_command({"type": "lovelace/config/save", "config": config})
        return
    # Home Assistant 2026 opens the system's default panel, its own "Overview" (areas) unless told
    # otherwise, and only a dashboard of its own can be that default.
    await api.websocket_command(
        {
            "type": "lovelace/dashboards/create",
            "url_path": DASHBOARD_URL_PATH,
            "title": str(config.get("title", "Kobra 2")),
            "icon": "mdi:printer-3d",
            "show_in_sidebar": True,
            "require_admin": False,
        }
    )
    await api.websocket_command(
        {"type": "lovelace/config/save", "url_path": DASHBOARD_URL_PATH, "config": config}
    )
    value = {**(core.get("value") or {}), "default_panel": DASHBOARD_URL_PATH}
    await api.websocket_command({"type": "frontend/set_system_data", "key": "core", "value": value})


async def find_device_id(api: HomeAssistantApi, entry_id: str) -> str:
    """Return the device registry id of the printer added by the config entry."""
    devices = await api.websocket_command({"type": "config/device_registry/list"})
    for device in devices:
        if entry_id in device.get("config_entries", []):
            return str(device["id"])
    raise DemoError("the config entry made no device")


# --------------------------------------------------------------------------- main


class Demo:
    """Everything the demo runs, started in order and stopped in reverse."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.ha: HomeAssistant | None = None

    async def run(self) -> None:
        """Start everything, say where to look, and wait to be cancelled; undo everything on the way out."""
        args = self.args
        config_dir: Path = args.config_dir.resolve()
        if port_in_use(args.listen, args.port):
            raise DemoError(f"port {args.port} is in use; choose another with --port")
        prepare_config_dir(config_dir)
        ensure_frontend()
        check_ui_imports()
        async with contextlib.AsyncExitStack() as stack:
            if args.broker_host is None:
                from tests.helpers.brokers import AmqttBroker as EmbeddedBroker

                broker = EmbeddedBroker()
                say(f"starting the embedded MQTT broker on {broker.host}:{broker.port}")
                await broker.start()
                stack.push_async_callback(broker.stop)
                printer = DemoPrinter(broker.host, broker.port, args.time_scale)
                say(
                    f"starting the simulated Kobra 2 Pro {DEMO_PRINTER_ID} (time x{args.time_scale:g})"
                )
                await printer.start()
                stack.push_async_callback(printer.stop)
                settings = BrokerSettings(host=broker.host, port=broker.port)
                wanted: str | None = DEMO_PRINTER_ID
                broker_line = (
                    f"{broker.host}:{broker.port} (embedded amqtt) with a simulated Kobra 2 Pro"
                )
            else:
                settings = BrokerSettings(
                    host=args.broker_host,
                    port=args.broker_port,
                    username=args.username,
                    password=args.password,
                    tls=args.tls,
                    ca_cert=args.ca_cert.read_text() if args.ca_cert else None,
                )
                wanted = args.printer_id.lower() if args.printer_id else None
                broker_line = f"{settings.host}:{settings.port}{' (TLS)' if settings.tls else ''}"

            self.ha = ha = HomeAssistant(config_dir, args.listen, args.port, args.verbose)
            say(f"starting Home Assistant on {ha.url} (log: {ha.log_file})")
            await ha.start()
            stack.push_async_callback(ha.stop)

            async with aiohttp.ClientSession() as session:
                api = HomeAssistantApi(session, ha.url)
                await api.wait_until_up(ha)
                say(f"onboarding: user {DEMO_USER!r}, location, analytics")
                await api.onboard()
                await settle_http_config(api)
                say("adding the printer through the integration's config flow")
                entry_id = await add_printer(api, settings, wanted, args.model_id)
                await wait_entry_loaded(api, entry_id)
                device_id = await find_device_id(api, entry_id)
                say("making the printer dashboard (docs/dashboard.yaml) the default one")
                await install_dashboard(api, device_id)
                await remove_failed_entries(api)
                await hide_installation_notice(api)

            print(
                "\n"
                "  Kobra 2 demo is running.\n"
                f"  Home Assistant: {ha.url} (the printer dashboard)\n"
                f"  Login:          {DEMO_USER} / {DEMO_PASSWORD}\n"
                f"  Printer page:   {ha.url}/config/devices/device/{device_id}\n"
                f"  MQTT broker:    {broker_line}\n"
                "  Press Ctrl-C to stop.\n",
                flush=True,
            )
            while ha.running:
                await asyncio.sleep(1.0)
            raise DemoError(f"Home Assistant stopped by itself; end of its log:\n{ha.log_tail()}")


async def main_async(args: argparse.Namespace) -> int:
    """Run the demo until SIGINT/SIGTERM/SIGHUP; a second signal kills Home Assistant instead of waiting."""
    loop = asyncio.get_running_loop()
    demo = Demo(args)
    task = asyncio.current_task()
    signals = 0

    def on_signal() -> None:
        nonlocal signals
        signals += 1
        if signals == 1:
            say("stopping")
            if task is not None:
                task.cancel()
        elif demo.ha is not None:
            say("stopping at once")
            demo.ha.kill()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, on_signal)
    try:
        await demo.run()
    except asyncio.CancelledError:
        say("stopped")
        return 0
    except DemoError as err:
        say(f"error: {err}")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of scripts/demo."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="[demo] %(levelname)s %(name)s: %(message)s")
    # amqtt warns about messages in flight when it shuts down, which is what stopping means here.
    logging.getLogger("amqtt").setLevel(logging.ERROR)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
