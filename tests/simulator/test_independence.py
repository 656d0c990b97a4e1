"""The simulator is an independent oracle: it imports nothing of the integration or of HA."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys

ROOT = Path(__file__).resolve().parents[2]
BLOCKED = ("custom_components", "homeassistant")

# Run in a fresh interpreter: this test process has long imported both packages.
_PROBE = """
import importlib, importlib.abc, json, pkgutil, runpy, sys

BLOCKED = {blocked!r}

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"blocked import of {{name}}")
        return None

sys.meta_path.insert(0, Block())
result = {{"blocker_works": False, "modules": [], "help_exit": None}}
try:
    import homeassistant
except ImportError:
    result["blocker_works"] = True
import kobra2_sim
for info in pkgutil.walk_packages(kobra2_sim.__path__, "kobra2_sim."):
    importlib.import_module(info.name)
    result["modules"].append(info.name)
sys.argv = ["kobra2_sim", "--help"]
try:
    runpy.run_module("kobra2_sim", run_name="__main__", alter_sys=True)
except SystemExit as exit:
    result["help_exit"] = exit.code
result["leaked"] = sorted(
    name for name in sys.modules if name.split(".")[0] in BLOCKED
)
print(json.dumps(result))
"""


def test_kobra2_sim_imports_nothing_of_the_integration() -> None:
    """Every kobra2_sim module, and its command line, load with the integration and HA blocked."""
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE.format(blocked=BLOCKED)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["blocker_works"], "the probe could not block homeassistant"
    expected = {
        f"kobra2_sim.{path.stem}"
        for path in (ROOT / "kobra2_sim").glob("*.py")
        if path.stem != "__init__"
    }
    assert set(result["modules"]) == expected
    assert result["help_exit"] == 0
    assert result["leaked"] == []
