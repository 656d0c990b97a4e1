"""The kobra2 package must stay usable without Home Assistant."""

from __future__ import annotations

import ast
from pathlib import Path
import subprocess
import sys
import textwrap

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "custom_components" / "anycubic_kobra2" / "kobra2"
FORBIDDEN = "homeassistant"


def module_parts(path: Path) -> list[str]:
    """Return the dotted name parts of a module relative to the kobra2 package."""
    relative = path.relative_to(PACKAGE).with_suffix("")
    parts = ["kobra2", *relative.parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def violations(source: str, parts: list[str], is_package: bool) -> list[str]:
    """List the imports in source that reach Home Assistant or leave the kobra2 package."""
    found: list[str] = []
    # A relative import is resolved against the module's package.
    package = parts if is_package else parts[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == FORBIDDEN]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if (node.module or "").split(".")[0] == FORBIDDEN:
                    found.append(node.module or "")
            elif node.level - 1 >= len(package):
                # Climbs above kobra2 into the integration, which does import Home Assistant.
                found.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and str(first.value).startswith(FORBIDDEN):
                    found.append(str(first.value))
    return found


def package_modules() -> list[Path]:
    """Return every Python module of the kobra2 package, sub-packages included."""
    return sorted(PACKAGE.rglob("*.py"))


def test_package_modules_exist() -> None:
    names = {path.name for path in package_modules()}
    assert {"__init__.py", "const.py", "parser.py", "commands.py", "state.py"} <= names


@pytest.mark.parametrize("path", package_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_does_not_import_homeassistant(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert violations(source, module_parts(path), path.name == "__init__.py") == []


@pytest.mark.parametrize(
    "source",
    [
        "import homeassistant",
        "import os, homeassistant.core as core",
        "from homeassistant.const import Platform",
        "from homeassistant import config_entries",
        "from .. import const",
        "from ..coordinator import KobraCoordinator",
        "importlib.import_module('homeassistant.helpers')",
        "__import__('homeassistant')",
        "def f():\n    from homeassistant.core import HomeAssistant",
    ],
)
def test_scanner_catches_forbidden_imports(source: str) -> None:
    assert violations(source, ["kobra2", "parser"], is_package=False) != []


@pytest.mark.parametrize(
    "source",
    [
        "import json",
        "from .const import TOPIC_PREFIX",
        "from . import commands",
        "from .. import machine",  # from kobra2/simulator/x.py this stays inside kobra2
        "import homeassistant_like",
        "x = 'homeassistant'",
    ],
)
def test_scanner_allows_package_imports(source: str) -> None:
    assert violations(source, ["kobra2", "simulator", "machine"], is_package=False) == []


def test_package_imports_with_homeassistant_blocked(tmp_path: Path) -> None:
    # Load kobra2 as a top-level package so the integration's own __init__ is not run.
    script = textwrap.dedent(
        f"""
        import importlib, importlib.abc, importlib.util, pkgutil, sys

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "homeassistant" or name.startswith("homeassistant."):
                    raise ImportError("blocked: " + name)
                return None

        sys.meta_path.insert(0, Block())
        for name in list(sys.modules):
            if name == "homeassistant" or name.startswith("homeassistant."):
                del sys.modules[name]
        spec = importlib.util.spec_from_file_location(
            "kobra2", {str(PACKAGE / "__init__.py")!r},
            submodule_search_locations=[{str(PACKAGE)!r}],
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules["kobra2"] = module
        spec.loader.exec_module(module)
        names = ["kobra2." + n for n in ("const", "exceptions", "models", "parser", "state", "commands")]
        for name in names:
            importlib.import_module(name)
        report = module.parse_report(
            "anycubic/anycubicCloud/v1/printer/public/20021/"
            "9347a110c5423fe412ce45533bfc10e6/fan/report",
            b'{{"type":"fan","action":"auto","data":{{"fan_speed_pct":7}}}}',
        )
        assert report.fan_speed_pct == 7, report
        assert not any(m.startswith("homeassistant") for m in sys.modules)
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
