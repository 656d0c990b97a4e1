"""Options flow: fallback poll interval, stale timeout and the command topic style."""

import math
from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from .compat import vol
from .const import (
    CONF_POLL_INTERVAL,
    CONF_STALE_TIMEOUT,
    CONF_TOPIC_STYLE,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_STALE_TIMEOUT,
    MAX_POLL_INTERVAL,
    MAX_STALE_TIMEOUT,
    MIN_POLL_INTERVAL,
    MIN_STALE_TIMEOUT,
)
from .filament import filament_options, filament_schema
from .kobra2 import TopicStyle


def _seconds_selector(minimum: int, maximum: int) -> NumberSelector:
    """Return a box for a number of seconds between minimum and maximum."""
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum, max=maximum, step=1, unit_of_measurement="s", mode=NumberSelectorMode.BOX
        )
    )


class KobraOptionsFlow(OptionsFlow):
    """Tune polling, staleness and the command topic."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and store the options."""
        errors: dict[str, str] = {}
        if user_input is not None:
            # The number selector lets "nan" through (its range checks are false for NaN).
            for key in (CONF_POLL_INTERVAL, CONF_STALE_TIMEOUT):
                if not math.isfinite(float(user_input[key])):
                    errors[key] = "not_a_number"
        if user_input is not None and not errors:
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
                ): _seconds_selector(MIN_POLL_INTERVAL, MAX_POLL_INTERVAL),
                vol.Required(
                    CONF_STALE_TIMEOUT,
                    default=options.get(CONF_STALE_TIMEOUT, DEFAULT_STALE_TIMEOUT),
                ): _seconds_selector(MIN_STALE_TIMEOUT, MAX_STALE_TIMEOUT),
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
        return self.async_show_form(step_id="init", data_schema=schema, errors=errors)
