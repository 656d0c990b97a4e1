"""A real Home Assistant instance in this process, with a temporary config directory."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import inspect
import logging
from pathlib import Path
import socket
from types import MappingProxyType
from typing import Any

from homeassistant import bootstrap, config_entries, loader
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.setup import async_setup_component

_LOGGER = logging.getLogger("bench.hass")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def start_hass(config_dir: Path) -> HomeAssistant:
    """Start Home Assistant the way bootstrap does, minus the default integrations.

    Real storage in config_dir, the real loader (custom integrations from this repository),
    the core integrations and `http` on a loopback port (MQTT depends on it).
    """
    hass = HomeAssistant(str(config_dir))
    loader.async_setup(hass)
    hass.config.skip_pip = True
    hass.config.skip_pip_packages = []
    hass.config_entries = config_entries.ConfigEntries(hass, {})
    await loader.async_get_custom_components(hass)
    await bootstrap.async_load_base_functionality(hass)
    for domain in ("homeassistant", "persistent_notification"):
        if not await async_setup_component(hass, domain, {}):
            raise RuntimeError(f"could not set up {domain}")
    # Also creates the auth manager, which http needs.
    await async_process_ha_core_config(
        hass, {"time_zone": "UTC", "unit_system": "metric", "latitude": 0, "longitude": 0}
    )
    http_conf = {"http": {"server_host": ["127.0.0.1"], "server_port": free_port()}}
    if not await async_setup_component(hass, "http", http_conf):
        raise RuntimeError("could not set up http")
    await hass.async_start()
    await hass.async_block_till_done()
    return hass


async def stop_hass(hass: HomeAssistant) -> None:
    """Stop Home Assistant (unloads entries, closes connections)."""
    await hass.async_stop(force=True)


def make_entry(
    domain: str,
    data: Mapping[str, Any],
    *,
    title: str,
    options: Mapping[str, Any] | None = None,
    unique_id: str | None = None,
    version: int = 1,
    minor_version: int = 1,
) -> config_entries.ConfigEntry:
    """Build a ConfigEntry across Home Assistant versions (the constructor grew keywords)."""
    kwargs: dict[str, Any] = {
        "data": dict(data),
        "domain": domain,
        "options": dict(options or {}),
        "source": config_entries.SOURCE_USER,
        "title": title,
        "unique_id": unique_id,
        "version": version,
        "minor_version": minor_version,
        "discovery_keys": MappingProxyType({}),
        "subentries_data": (),
        "disabled_by": None,
        "pref_disable_new_entities": None,
        "pref_disable_polling": None,
    }
    params = inspect.signature(config_entries.ConfigEntry.__init__).parameters
    return config_entries.ConfigEntry(**{k: v for k, v in kwargs.items() if k in params})


async def wait_until(predicate: Any, timeout: float, what: str, step: float = 0.005) -> None:
    """Poll predicate() on the loop until it is true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(step)
