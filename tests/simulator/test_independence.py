"""The simulator is the independent oracle: it runs with Home Assistant and the integration absent."""

from __future__ import annotations

from tests.helpers.isolation import run_without


def test_simulator_imports_with_homeassistant_and_integration_blocked() -> None:
    # ruff's banned-api (kobra2_sim/.ruff.toml) covers import statements; this covers the rest,
    # such as an import hidden in a module that only runs when it is loaded.
    script = """
        import importlib, pkgutil, sys

        import kobra2_sim

        for module in pkgutil.walk_packages(kobra2_sim.__path__, "kobra2_sim."):
            importlib.import_module(module.name)
        sim = kobra2_sim.KobraSimulator(kobra2_sim.SimulatorConfig(port=1883))
        assert sim is not None
        assert not [m for m in sys.modules if m.split(".")[0] in BLOCKED]
        print("ok")
        """
    assert run_without(("homeassistant", "custom_components"), script) == "ok"
