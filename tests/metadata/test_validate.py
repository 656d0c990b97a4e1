"""scripts/validate.py passes the shipped integration and fails each kind of broken copy."""

from __future__ import annotations

from collections.abc import Callable
import json
from pathlib import Path
import shutil
from typing import Any

import pytest

from scripts import validate

REPO = Path(__file__).parents[2]
PACKAGE = REPO / "custom_components" / "anycubic_kobra2"


def test_shipped_integration_is_valid() -> None:
    """No problem in the repository as committed."""
    assert validate.validate() == []


def edit_json(name: str, change: Callable[[Any], None]) -> Callable[[Path], None]:
    """Return an editor that loads a JSON file of the copy, changes it and writes it back."""

    def apply(package: Path) -> None:
        path = package / name
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data), encoding="utf-8")

    return apply


def edit_text(name: str, old: str, new: str) -> Callable[[Path], None]:
    """Return an editor that replaces text in a file of the copy (the text must be there)."""

    def apply(package: Path) -> None:
        path = package / name
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return apply


def _unsorted(manifest: dict[str, Any]) -> None:
    version = manifest.pop("version")
    items = list(manifest.items())
    manifest.clear()
    manifest.update([items[0], items[1], ("version", version), *items[2:]])


BROKEN: dict[str, tuple[Callable[[Path], None], str]] = {
    "unknown manifest key": (
        edit_json("manifest.json", lambda m: m.update(zz_colour="red")),
        "unknown key 'zz_colour'",
    ),
    "bad integration_type": (
        edit_json("manifest.json", lambda m: m.update(integration_type="printer")),
        "integration_type",
    ),
    "config_flow not a bool": (
        edit_json("manifest.json", lambda m: m.update(config_flow="yes")),
        "config_flow",
    ),
    "unsorted manifest": (edit_json("manifest.json", _unsorted), "sorted"),
    "no codeowners": (
        edit_json("manifest.json", lambda m: m.update(codeowners=[])),
        "codeowners is missing",
    ),
    "version the loader blocks": (
        edit_json("manifest.json", lambda m: m.update(version="not a version")),
        "loader rejects",
    ),
    "unpinned requirement": (
        edit_json("manifest.json", lambda m: m.update(requirements=["aiomqtt>=2"])),
        "not pinned",
    ),
    "unknown dependency": (
        edit_json("manifest.json", lambda m: m.update(dependencies=["http", "no_such_thing"])),
        "no_such_thing",
    ),
    "unknown iot_class": (
        edit_json("manifest.json", lambda m: m.update(iot_class="local_magic")),
        "iot_class",
    ),
    "bad selector": (
        edit_text(
            "services.yaml", "selector:\n        text:", "selector:\n        no_such_selector:"
        ),
        # HA 2025.4 names the selector; 2026.10's service schema already rejects the field.
        "services.yaml: ",
    ),
    "service without text": (
        edit_json("strings.json", lambda s: s["services"].pop("list_files")),
        "services.list_files",
    ),
    "bad icon name": (
        edit_json("icons.json", lambda i: i["entity"]["button"]["pause"].update(default="pause")),
        "icons.json",
    ),
    "icon of no entity": (
        edit_json(
            "icons.json",
            lambda i: i["entity"]["button"].update(no_such_button={"default": "mdi:stop"}),
        ),
        "no_such_button",
    ),
    "en.json out of step": (
        edit_json("translations/en.json", lambda t: t["config"].update(zz_extra="x")),
        "en.json",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_copy_fails(case: str, tmp_path: Path) -> None:
    """Each deliberate break is reported, naming what is wrong."""
    copy = tmp_path / "custom_components" / PACKAGE.name
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    breaker, expected = BROKEN[case]
    breaker(copy)
    problems = validate.validate(copy)
    assert problems, f"{case}: no problem found"
    assert any(expected in problem for problem in problems), problems


def test_hacs_json_checked(tmp_path: Path) -> None:
    """An unknown key and a minimum Home Assistant newer than the installed one are reported."""
    hacs = json.loads((REPO / "hacs.json").read_text(encoding="utf-8"))
    hacs.update(colour="red", homeassistant="2999.1.0")
    path = tmp_path / "hacs.json"
    path.write_text(json.dumps(hacs), encoding="utf-8")
    problems = validate.validate(hacs_json=path)
    assert any("unknown key 'colour'" in p for p in problems)
    assert any("2999.1.0" in p for p in problems)


def test_main_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The command exits 0 on the repository and 1 on a broken copy, printing the problem."""
    assert validate.main([]) == 0
    copy = tmp_path / PACKAGE.name
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "icons.json").write_text("{", encoding="utf-8")
    assert validate.main([str(copy)]) == 1
    assert "icons.json" in capsys.readouterr().err
