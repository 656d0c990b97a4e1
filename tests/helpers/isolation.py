"""Run Python in a fresh interpreter in which some top-level packages cannot be imported."""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys
import textwrap

REPO = Path(__file__).resolve().parents[2]

_BLOCKER = """
import importlib.abc, sys

class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError("blocked: " + name)
        return None

sys.meta_path.insert(0, _Block())
for _name in list(sys.modules):
    if _name.split(".")[0] in BLOCKED:
        del sys.modules[_name]
"""


def run_without(blocked: tuple[str, ...], script: str, cwd: Path = REPO) -> str:
    """Run script with the blocked packages unimportable (BLOCKED names them); return its output.

    Fails the calling test with the script's stderr when the script fails.
    """
    source = f"BLOCKED = {blocked!r}\n" + _BLOCKER + textwrap.dedent(script)
    result = subprocess.run(
        [sys.executable, "-c", source],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()
