"""The simulator is the independent oracle: it runs with Home Assistant and the integration absent."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.isolation import REPO, run_without

BLOCKED = ("homeassistant", "custom_components")


def test_simulator_imports_with_homeassistant_and_integration_blocked() -> None:
    """Every kobra2_sim module and its command line load with the integration and HA blocked."""
    # ruff's banned-api (kobra2_sim/.ruff.toml) covers import statements; this covers the rest,
    # such as an import hidden in a module that only runs when it is loaded.
    script = """
        import importlib, pkgutil, runpy, sys

        try:
            import homeassistant
        except ImportError:
            pass
        else:
            raise SystemExit("the blocker let homeassistant through")
        import kobra2_sim

        for module in pkgutil.walk_packages(kobra2_sim.__path__, "kobra2_sim."):
            importlib.import_module(module.name)
            print(module.name)
        sim = kobra2_sim.KobraSimulator(kobra2_sim.SimulatorConfig(port=1883))
        assert sim is not None
        sys.argv = ["kobra2_sim", "--help"]
        try:
            runpy.run_module("kobra2_sim", run_name="__main__", alter_sys=True)
        except SystemExit as exit:
            assert exit.code == 0, exit.code
        assert not [m for m in sys.modules if m.split(".")[0] in BLOCKED]
        print("ok")
        """
    lines = run_without(BLOCKED, script).splitlines()
    assert lines[-1] == "ok"
    expected = {f"kobra2_sim.{path.stem}" for path in Path(REPO / "kobra2_sim").glob("*.py")}
    assert expected - {"kobra2_sim.__init__"} <= set(lines)
