"""Config flow: the connection (HA's MQTT or an own broker), then the printer; MQTT discovery."""

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo

from .compat import vol
from .const import (
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
    DISCOVERY_TIMEOUT,
    DOMAIN,
    LOGGER,
    MANUAL_ENTRY,
    MAX_POLL_INTERVAL,
    MAX_STALE_TIMEOUT,
    MIN_POLL_INTERVAL,
    MIN_STALE_TIMEOUT,
    TRANSPORT_HA_MQTT,
)
from .coordinator import KobraConfigEntry, broker_config
from .filament import filament_options, filament_schema
from .kobra2.client import DiscoveredPrinter, KobraClient, build_ssl_context, discover
from .kobra2.const import MODEL_NAMES, normalize_printer_id, valid_printer_id
from .kobra2.exceptions import KobraAuthError, KobraConnectionError
from .kobra2.models import TopicStyle
from .kobra2.parser import parse_topic
from .transport import async_discover as async_discover_ha_mqtt, ha_mqtt_available

SECTION_SECURITY = "security"
SECURITY_KEYS = (CONF_TLS, CONF_VERIFY_SSL, CONF_CA_CERT, CONF_CLIENT_CERT, CONF_CLIENT_KEY)

PEM_SELECTOR = TextSelector(TextSelectorConfig(multiline=True))
PASSWORD_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


def _security_section() -> section:
    """Return the collapsed TLS part of the broker form."""
    return section(
        vol.Schema(
            {
                vol.Required(CONF_TLS, default=False): bool,
                vol.Required(CONF_VERIFY_SSL, default=True): bool,
                vol.Optional(CONF_CA_CERT): PEM_SELECTOR,
                vol.Optional(CONF_CLIENT_CERT): PEM_SELECTOR,
                vol.Optional(CONF_CLIENT_KEY): PEM_SELECTOR,
            }
        ),
        {"collapsed": True},
    )


PORT_VALIDATOR = vol.All(vol.Coerce(int), vol.Range(min=1, max=65535))


USER_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_HOST): str,
        vol.Required(CONF_PORT, default=DEFAULT_PORT): PORT_VALIDATOR,
        vol.Optional(CONF_USERNAME): str,
        vol.Optional(CONF_PASSWORD): PASSWORD_SELECTOR,
        vol.Required(SECTION_SECURITY): _security_section(),
    }
)
RECONFIGURE_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_HOST): str,
        vol.Required(CONF_PORT): PORT_VALIDATOR,
        vol.Required(SECTION_SECURITY): _security_section(),
    }
)
REAUTH_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_USERNAME): str,
        vol.Optional(CONF_PASSWORD): PASSWORD_SELECTOR,
    }
)
MANUAL_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_MODEL_ID): SelectSelector(
            SelectSelectorConfig(
                options=list(MODEL_NAMES),
                translation_key=CONF_MODEL_ID,
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
        vol.Required(CONF_PRINTER_ID): str,
    }
)


def _flatten(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Turn form input (with the TLS section) into entry data, dropping empty texts."""
    data: dict[str, Any] = {k: v for k, v in user_input.items() if k != SECTION_SECURITY}
    data.update(user_input.get(SECTION_SECURITY, {}))
    for key in (CONF_USERNAME, CONF_PASSWORD, CONF_CA_CERT, CONF_CLIENT_CERT, CONF_CLIENT_KEY):
        if isinstance(data.get(key), str):
            data[key] = data[key].strip() or None
        data.setdefault(key, None)
    return data


def _suggested(data: Mapping[str, Any]) -> dict[str, Any]:
    """Turn entry data back into form values (with the TLS section)."""
    values = {k: v for k, v in data.items() if k not in SECURITY_KEYS and v is not None}
    values[SECTION_SECURITY] = {k: data[k] for k in SECURITY_KEYS if data.get(k) is not None}
    return values


async def _async_check_tls(data: Mapping[str, Any]) -> None:
    """Build the SSL context once, so broken PEM text is told apart from a dead broker."""
    try:
        await build_ssl_context(broker_config(data))
    except KobraConnectionError as err:
        raise InvalidTls from err


async def _async_errors(data: Mapping[str, Any]) -> dict[str, str]:
    """Connect once with the entry's settings; return form errors (empty when it worked)."""
    client = KobraClient(
        broker_config(data),
        data[CONF_MODEL_ID],
        data[CONF_PRINTER_ID],
        on_report=lambda _report: None,
    )
    try:
        await _async_check_tls(data)
        await client.connect()
    except Exception as err:  # every failure becomes a form error
        return _error_key(err)
    finally:
        await client.stop()
    return {}


def _error_key(err: Exception) -> dict[str, str]:
    """Map a connection failure to a form error."""
    if isinstance(err, KobraAuthError):
        return {"base": "invalid_auth"}
    if isinstance(err, InvalidTls):
        return {"base": "invalid_cert"}
    if isinstance(err, KobraConnectionError):
        return {"base": "cannot_connect"}
    LOGGER.error("Unexpected error while connecting to the broker", exc_info=err)
    return {"base": "unknown"}


class InvalidTls(Exception):
    """The TLS settings (certificate or key text) cannot be loaded."""


class KobraConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Kobra 2: pick the broker, then the printer on it."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with no broker chosen."""
        self._broker: dict[str, Any] = {}
        self._discovered: dict[str, str] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: KobraConfigEntry) -> OptionsFlow:
        """Return the options flow."""
        return KobraOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Offer Home Assistant's MQTT connection when there is one, else ask for the broker."""
        if user_input is None and ha_mqtt_available(self.hass):
            return self.async_show_menu(step_id="user", menu_options=["ha_mqtt", "broker"])
        return await self._async_step_broker("user", user_input)

    async def async_step_broker(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for a broker of the integration's own (chosen from the menu)."""
        return await self._async_step_broker("broker", user_input)

    async def async_step_ha_mqtt(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Use Home Assistant's MQTT connection: look for printers on its broker."""
        try:
            found = await async_discover_ha_mqtt(self.hass, timeout=DISCOVERY_TIMEOUT)
        except KobraConnectionError:
            return self.async_abort(reason="mqtt_not_connected")
        self._broker = {CONF_TRANSPORT: TRANSPORT_HA_MQTT}
        return await self._async_offer(found)

    async def async_step_mqtt(self, discovery_info: MqttServiceInfo) -> ConfigFlowResult:
        """Handle a printer seen by Home Assistant's MQTT integration (any of its reports)."""
        info = parse_topic(discovery_info.topic)
        if info is None:
            return self.async_abort(reason="invalid_discovery_info")
        await self.async_set_unique_id(info.printer_id)
        # A configured printer keeps its settings, whichever connection it uses.
        self._abort_if_unique_id_configured()
        self._broker = {CONF_TRANSPORT: TRANSPORT_HA_MQTT}
        self._discovered = {info.printer_id: info.model_id}
        self.context["title_placeholders"] = {
            "name": MODEL_NAMES.get(info.model_id, f"Kobra 2 {info.model_id}")
        }
        return await self.async_step_mqtt_confirm()

    async def async_step_mqtt_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask whether to add the discovered printer."""
        printer_id, model_id = next(iter(self._discovered.items()))
        if user_input is not None:
            return await self._async_create(model_id, printer_id)
        self._set_confirm_only()
        return self.async_show_form(
            step_id="mqtt_confirm",
            description_placeholders={
                "model": MODEL_NAMES.get(model_id, model_id),
                "printer_id": printer_id,
            },
        )

    async def _async_step_broker(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask for the broker and check it by connecting (and looking for printers)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _flatten(user_input)
            try:
                await _async_check_tls(data)
                found = await discover(broker_config(data), timeout=DISCOVERY_TIMEOUT)
            except Exception as err:  # every failure becomes a form error
                errors = _error_key(err)
            else:
                self._broker = data
                return await self._async_offer(found)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                USER_SCHEMA, _suggested(_flatten(user_input)) if user_input else None
            ),
            errors=errors,
        )

    async def _async_offer(self, found: list[DiscoveredPrinter]) -> ConfigFlowResult:
        """Offer the printers found that are not configured yet, or go to manual entry."""
        configured = self._async_current_ids(include_ignore=False)
        self._discovered = {
            printer.printer_id: printer.model_id
            for printer in found
            if printer.printer_id not in configured
        }
        if not self._discovered:
            return await self.async_step_manual()
        return await self.async_step_printer()

    async def async_step_printer(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the printers seen on the broker, or manual entry."""
        if user_input is not None:
            printer_id = user_input[CONF_PRINTER_ID]
            if printer_id == MANUAL_ENTRY:
                return await self.async_step_manual()
            return await self._async_create(self._discovered[printer_id], printer_id)
        options = [
            SelectOptionDict(
                value=printer_id,
                label=f"{MODEL_NAMES.get(model_id, model_id)} ({printer_id})",
            )
            for printer_id, model_id in self._discovered.items()
        ]
        options.append(SelectOptionDict(value=MANUAL_ENTRY, label="Enter the printer by hand"))
        return self.async_show_form(
            step_id="printer",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_PRINTER_ID): SelectSelector(
                        SelectSelectorConfig(
                            options=options,
                            mode=SelectSelectorMode.LIST,
                            translation_key="printer",
                        )
                    )
                }
            ),
        )

    async def async_step_manual(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for model and printer id, for a printer that is off."""
        errors: dict[str, str] = {}
        if user_input is not None:
            printer_id = user_input[CONF_PRINTER_ID].strip()
            if valid_printer_id(printer_id):
                return await self._async_create(
                    user_input[CONF_MODEL_ID], normalize_printer_id(printer_id)
                )
            errors[CONF_PRINTER_ID] = "invalid_printer_id"
        return self.async_show_form(
            step_id="manual",
            data_schema=self.add_suggested_values_to_schema(MANUAL_SCHEMA, user_input),
            errors=errors,
        )

    async def _async_create(self, model_id: str, printer_id: str) -> ConfigFlowResult:
        """Create the entry for one printer (once)."""
        await self.async_set_unique_id(printer_id)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=MODEL_NAMES.get(model_id, f"Kobra 2 {model_id}"),
            data={**self._broker, CONF_MODEL_ID: model_id, CONF_PRINTER_ID: printer_id},
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication after the broker rejected the credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for new broker credentials and check them."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            updates = {
                CONF_USERNAME: (user_input.get(CONF_USERNAME) or "").strip() or None,
                CONF_PASSWORD: user_input.get(CONF_PASSWORD) or None,
            }
            errors = await _async_errors({**entry.data, **updates})
            if not errors:
                return self.async_update_reload_and_abort(entry, data_updates=updates)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                REAUTH_SCHEMA, {CONF_USERNAME: entry.data.get(CONF_USERNAME)}
            ),
            description_placeholders={"name": entry.title},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change where the broker is and how to reach it."""
        entry = self._get_reconfigure_entry()
        if entry.data.get(CONF_TRANSPORT) == TRANSPORT_HA_MQTT:
            # Home Assistant's MQTT integration owns that connection.
            return self.async_abort(reason="reconfigure_ha_mqtt")
        errors: dict[str, str] = {}
        if user_input is not None:
            updates = _flatten(user_input)
            updates.pop(CONF_USERNAME)
            updates.pop(CONF_PASSWORD)
            errors = await _async_errors({**entry.data, **updates})
            if not errors:
                return self.async_update_reload_and_abort(entry, data_updates=updates)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                RECONFIGURE_SCHEMA,
                _suggested(_flatten(user_input) if user_input else entry.data),
            ),
            description_placeholders={"name": entry.title},
            errors=errors,
        )


class KobraOptionsFlow(OptionsFlow):
    """Tune polling, staleness and the command topic."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and store the options."""
        if user_input is not None:
            return self.async_create_entry(
                data={
                    CONF_POLL_INTERVAL: int(user_input[CONF_POLL_INTERVAL]),
                    CONF_STALE_TIMEOUT: int(user_input[CONF_STALE_TIMEOUT]),
                    CONF_TOPIC_STYLE: user_input[CONF_TOPIC_STYLE],
                    **filament_options(user_input),
                }
            )
        options = self.config_entry.options
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_POLL_INTERVAL,
                    default=options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL),
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=MIN_POLL_INTERVAL,
                        max=MAX_POLL_INTERVAL,
                        step=1,
                        unit_of_measurement="s",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                vol.Required(
                    CONF_STALE_TIMEOUT,
                    default=options.get(CONF_STALE_TIMEOUT, DEFAULT_STALE_TIMEOUT),
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=MIN_STALE_TIMEOUT,
                        max=MAX_STALE_TIMEOUT,
                        step=1,
                        unit_of_measurement="s",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                vol.Required(
                    CONF_TOPIC_STYLE,
                    default=options.get(CONF_TOPIC_STYLE, TopicStyle.TYPE.value),
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=[style.value for style in TopicStyle],
                        translation_key=CONF_TOPIC_STYLE,
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
                **filament_schema(options),
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema)
