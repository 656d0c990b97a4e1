"""Diagnostics: the entry's settings with secrets redacted, the link and the printer state."""

from __future__ import annotations

from typing import Any

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from kobra2_sim import KobraSimulator
from tests.helpers.brokers import MosquittoBroker
from tests.helpers.entry import PRINTER_ID, make_entry, setup_entry, sim_config, wait_printer_ready


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    make_mosquitto: Any,
    snapshot: SnapshotAssertion,
) -> None:
    """Credentials, certificates and identifiers never leave Home Assistant in diagnostics."""
    broker: MosquittoBroker = await make_mosquitto(users={"kobra": "hunter2"})
    sim = KobraSimulator(sim_config(broker, quiet=True, username="kobra", password="hunter2"))
    await sim.start()
    pki = broker.pki
    entry: MockConfigEntry = make_entry(
        broker,
        **{
            CONF_USERNAME: "kobra",
            CONF_PASSWORD: "hunter2",
            "ca_cert": pki.ca_pem,
            "client_cert": pki.client_cert_pem,
            "client_key": pki.client_key_pem,
        },
    )
    try:
        await setup_entry(hass, entry)
        await wait_printer_ready(hass, entry)
        diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    finally:
        await sim.stop()

    text = str(diagnostics)
    for secret in ("hunter2", PRINTER_ID, "PRIVATE KEY", "CERTIFICATE"):
        assert secret not in text
    assert diagnostics == snapshot(exclude=props("port", "files", "files_updated"))
