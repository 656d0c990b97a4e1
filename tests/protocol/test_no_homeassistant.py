"""The kobra2 package must stay usable without Home Assistant (import statements: ruff TID251)."""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys
import textwrap

PACKAGE = Path(__file__).resolve().parents[2] / "custom_components" / "anycubic_kobra2" / "kobra2"


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
        # Every module: an import statement is ruff's (TID251, kobra2/.ruff.toml), not one run on load.
        for found in pkgutil.walk_packages(module.__path__, "kobra2."):
            importlib.import_module(found.name)
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
