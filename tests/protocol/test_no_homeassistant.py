"""The kobra2 package must stay usable without Home Assistant (import statements: ruff TID251)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.isolation import run_without

PACKAGE = Path(__file__).resolve().parents[2] / "custom_components" / "anycubic_kobra2" / "kobra2"


def test_package_imports_with_homeassistant_blocked(tmp_path: Path) -> None:
    # Load kobra2 as a top-level package so the integration's own __init__ is not run.
    script = f"""
        import importlib, importlib.util, pkgutil, sys

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
        assert not [m for m in sys.modules if m.split(".")[0] in BLOCKED]
        print("ok")
        """
    assert run_without(("homeassistant", "custom_components"), script, cwd=tmp_path) == "ok"
