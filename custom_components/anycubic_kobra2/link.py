"""The printer link of a config entry: a KobraClient to its own broker, or Home Assistant's MQTT; setup's connect."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed

from . import errors
from .const import (
    CONF_CA_CERT,
    CONF_CLIENT_CERT,
    CONF_CLIENT_KEY,
    CONF_MODEL_ID,
    CONF_PRINTER_ID,
    CONF_TLS,
    CONF_TRANSPORT,
    DEFAULT_PORT,
    DOMAIN,
    LOGGER,
    SETUP_BROKER_ANSWER_TIMEOUT,
    SETUP_CONNECT_TIMEOUT,
    TRANSPORT_HA_MQTT,
)
from .data import KobraConfigEntry
from .ha_mqtt import HaMqttLink
from .kobra2 import (
    BrokerConfig,
    KobraAuthError,
    KobraClient,
    KobraConnectionError,
    KobraLink,
    Report,
    TopicStyle,
)

# Link timing. Module attributes (read when a link is made) so tests can shorten them.
# Keepalive bounds how long a half-open link (broker or network hung) goes unnoticed:
# at most about twice this.
KEEPALIVE = 30
RECONNECT_MIN_BACKOFF = 1.0
RECONNECT_MAX_BACKOFF = 60.0


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


def make_link(
    hass: HomeAssistant,
    entry: KobraConfigEntry,
    topic_style: TopicStyle,
    *,
    on_report: Callable[[Report], None],
    on_connection: Callable[[bool], None],
    on_auth_failed: Callable[[KobraAuthError], None],
) -> KobraLink:
    """Return the entry's (not yet connected) link to its printer."""
    model_id: str = entry.data[CONF_MODEL_ID]
    printer_id: str = entry.data[CONF_PRINTER_ID]
    if entry.data.get(CONF_TRANSPORT) == TRANSPORT_HA_MQTT:
        # Home Assistant's MQTT integration owns the connection (and its credentials).
        return HaMqttLink(
            hass,
            model_id,
            printer_id,
            on_report=on_report,
            on_connection=on_connection,
            topic_style=topic_style,
        )
    return KobraClient(
        broker_config(entry.data),
        model_id,
        printer_id,
        on_report=on_report,
        on_connection=on_connection,
        on_auth_failed=on_auth_failed,
        topic_style=topic_style,
        client_id=client_id_for(entry.entry_id),
        min_backoff=RECONNECT_MIN_BACKOFF,
        max_backoff=RECONNECT_MAX_BACKOFF,
        # Availability changes are logged by the coordinator, once per transition.
        log_outages=False,
    )


async def async_connect_for_setup(link: KobraLink, entry: KobraConfigEntry) -> bool:
    """Connect the link once for setup; return False when the broker has not answered yet.

    Bad credentials raise ConfigEntryAuthFailed, a refused or failed connection raises the
    UpdateFailed that sends setup into Home Assistant's retry schedule.
    """
    placeholders = {
        "host": entry.data.get(CONF_HOST) or "Home Assistant's MQTT broker",
        "port": str(entry.data.get(CONF_PORT, "")),
    }
    direct = isinstance(link, KobraClient)
    try:
        async with asyncio.timeout(
            SETUP_BROKER_ANSWER_TIMEOUT if direct else SETUP_CONNECT_TIMEOUT
        ):
            await link.connect()
    except TimeoutError as err:
        if not direct:
            raise errors.cannot_connect(placeholders, err) from err
        # The broker took the connection but has not answered (hung, or busy starting):
        # an outage like any later one. Entities start unavailable and the client's
        # loop keeps trying; refused connections and bad credentials still fail setup.
        LOGGER.info(
            "MQTT broker %s:%s has not answered within %s s; connecting in the background",
            entry.data.get(CONF_HOST),
            entry.data.get(CONF_PORT),
            SETUP_BROKER_ANSWER_TIMEOUT,
        )
        return False
    except KobraAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="invalid_auth",
            translation_placeholders=placeholders,
        ) from err
    except KobraConnectionError as err:
        raise errors.cannot_connect(placeholders, err) from err
    return True
