"""Checks on URLs Home Assistant fetches for a print: redirects, and errors that tell nothing."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit

from aiohttp import ClientResponse
from homeassistant.exceptions import HomeAssistantError

from .const import DOMAIN, LOGGER

# Hops a download may be redirected through (aiohttp's default is 10).
MAX_REDIRECTS = 5


def display_url(url: str) -> str:
    """Return url without user name and password, for messages and logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _internal(host: str | None) -> bool:
    """Return whether host names this machine or a link-local address (no name lookup)."""
    if host is None:
        return True
    if host.lower().rstrip(".") in ("localhost", "localhost.localdomain"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_link_local or address.is_unspecified


def check_redirects(url: str, resp: ClientResponse) -> None:
    """Raise download_failed when a redirect left http(s) or led from outside to this machine."""
    start_internal = _internal(urlsplit(url).hostname)
    for hop in (*(step.url for step in resp.history), resp.url):
        if hop.scheme not in ("http", "https") or not hop.host:
            raise download_failed(url, f"redirected to a {hop.scheme or 'relative'} URL")
        if not start_internal and _internal(hop.host):
            raise download_failed(url, f"redirected to {hop.host}")


def download_failed(url: str, detail: str) -> HomeAssistantError:
    """Return the download error; what answered (or not) on which port goes to the debug log."""
    LOGGER.debug("Download of %s failed: %s", display_url(url), detail)
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="url_download_failed",
        translation_placeholders={"url": display_url(url)},
    )
