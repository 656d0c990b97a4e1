"""Test configuration shared by every test directory."""

# Import the project's integration before Home Assistant's test plugin creates `hass`: HA's
# loader then finds this repository's custom_components instead of the plugin's own.
import custom_components.anycubic_kobra2  # noqa: F401

pytest_plugins = ["tests.helpers.fixtures"]

# Note for tests/integration/conftest.py (owned by the integration tests): give it an autouse
# fixture that requests `enable_custom_integrations`, so only tests that use `hass` load it:
#
#     @pytest.fixture(autouse=True)
#     def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
#         """Let Home Assistant load custom_components/anycubic_kobra2."""
