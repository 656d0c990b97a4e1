"""Test configuration shared by every test directory (fixtures with Home Assistant: tests/ha/)."""

# Import the project's integration before Home Assistant's test plugin creates `hass`: HA's
# loader then finds this repository's custom_components instead of the plugin's own.
import custom_components.anycubic_kobra2  # noqa: F401

pytest_plugins = ["tests.helpers.fixtures"]
