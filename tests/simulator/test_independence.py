"""The simulator is the independent oracle: it runs with Home Assistant and the integration absent."""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys
import textwrap

REPO = Path(__file__).resolve().parents[2]


def test_simulator_imports_with_homeassistant_and_integration_blocked() -> None:
    # ruff's banned-api (kobra2_sim/.ruff.toml) covers import statements; this covers the rest,
    # such as an import hidden in a module that only runs when it is loaded.
    script = textwrap.dedent(
        """
        import importlib, importlib.abc, pkgutil, sys

        BLOCKED = ("homeassistant", "custom_components")

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError("blocked: " + name)
                return None

        sys.meta_path.insert(0, Block())
        import kobra2_sim
        for module in pkgutil.walk_packages(kobra2_sim.__path__, "kobra2_sim."):
            importlib.import_module(module.name)
        sim = kobra2_sim.KobraSimulator(kobra2_sim.SimulatorConfig(port=1883))
        assert sim is not None
        assert not [m for m in sys.modules if m.split(".")[0] in BLOCKED]
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
