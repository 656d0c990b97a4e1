"""Constants of the Anycubic Kobra 2 integration."""

import logging
from typing import Final

DOMAIN: Final = "anycubic_kobra2"
LOGGER = logging.getLogger(__package__)

MANUFACTURER: Final = "Anycubic"

CONF_TLS: Final = "tls"
CONF_CA_CERT: Final = "ca_cert"
CONF_CLIENT_CERT: Final = "client_cert"
CONF_CLIENT_KEY: Final = "client_key"
CONF_MODEL_ID: Final = "model_id"
CONF_PRINTER_ID: Final = "printer_id"

CONF_POLL_INTERVAL: Final = "poll_interval"
CONF_STALE_TIMEOUT: Final = "stale_timeout"
CONF_TOPIC_STYLE: Final = "topic_style"
# Filament the printer uses, for the weight and cost of what it printed (all optional).
CONF_FILAMENT_DIAMETER: Final = "filament_diameter"
CONF_FILAMENT_DENSITY: Final = "filament_density"
CONF_FILAMENT_PRICE: Final = "filament_price"

# Which connection an entry uses; entries without it use their own broker.
CONF_TRANSPORT: Final = "transport"
TRANSPORT_BROKER: Final = "broker"
TRANSPORT_HA_MQTT: Final = "ha_mqtt"

DEFAULT_PORT: Final = 1883
# The printer pushes temperatures every few seconds even when idle, so a minute of
# silence already means something is wrong; polling then asks for a full report.
DEFAULT_POLL_INTERVAL: Final = 60
# Three missed fallback polls' worth of silence before values are called stale.
DEFAULT_STALE_TIMEOUT: Final = 180
MIN_POLL_INTERVAL: Final = 10
MAX_POLL_INTERVAL: Final = 3600
MIN_STALE_TIMEOUT: Final = 10
MAX_STALE_TIMEOUT: Final = 7200

# Seconds the config flow listens for printers announcing themselves.
DISCOVERY_TIMEOUT: Final = 3.0
# Seconds setup waits for Home Assistant's MQTT link before setup is retried later.
SETUP_CONNECT_TIMEOUT: Final = 15.0
# Seconds setup waits for a broker to answer before it goes on and keeps trying in the
# background (a hung broker must not hold up a reload or Home Assistant's start).
SETUP_BROKER_ANSWER_TIMEOUT: Final = 1.0
# Seconds a command waits for the printer's answer.
COMMAND_TIMEOUT: Final = 10.0

MANUAL_ENTRY: Final = "manual"
