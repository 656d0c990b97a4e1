"""Validate the integration's metadata offline with what the installed Home Assistant ships.

hassfest and the HACS action need the network and run in the GitHub workflow; this checks what can be checked
without it, in every test environment: the manifest through Home Assistant's own loader and its Manifest type,
services.yaml through Home Assistant's service schema and selectors, icons.json against the icon rules, the
translations against strings.json, and hacs.json against HACS's keys.

    python scripts/validate.py [custom_components/anycubic_kobra2]   # exit 1 and list the problems
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Iterator
import contextlib
import json
import logging
from pathlib import Path
import re
import sys
import types
from typing import Any, Literal, get_args, get_origin, get_type_hints

from awesomeversion import AwesomeVersion
from homeassistant import loader
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.helpers import config_validation as cv, selector, service
from homeassistant.util.yaml import load_yaml
import voluptuous as vol

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "custom_components" / "anycubic_kobra2"
HACS_JSON = REPO / "hacs.json"
# hassfest's list (script/hassfest/manifest.py, not in the pip package).
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
# The keys HACS reads from hacs.json (HACS publishing docs).
HACS_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "content_in_root": bool,
    "zip_release": bool,
    "filename": str,
    "hide_default_branch": bool,
    "country": (str, list),
    "homeassistant": str,
    "hacs": str,
    "persistent_directory": str,
    "render_readme": bool,
}
ICON = vol.All(str, vol.Match(r"^mdi:[a-z0-9]+(-[a-z0-9]+)*$", msg="not an mdi: icon name"))
ENTITY_ICONS = vol.Schema(
    {
        vol.Optional("default"): ICON,
        vol.Optional("state"): {str: ICON},
        vol.Optional("range"): {vol.Coerce(float): ICON},
        vol.Optional("state_attributes"): {
            str: {vol.Optional("default"): ICON, vol.Optional("state"): {str: ICON}}
        },
    }
)
ICONS_SCHEMA = vol.Schema(
    {
        vol.Optional("entity"): {cv.slug: {cv.slug: ENTITY_ICONS}},
        vol.Optional("services"): {
            cv.slug: vol.Any(
                ICON, {vol.Required("service"): ICON, vol.Optional("sections"): {str: ICON}}
            )
        },
    }
)
REFERENCE = re.compile(r"\[%key:([a-z0-9_:]+)%\]")


def read_json(path: Path, problems: list[str]) -> Any:
    """Return a JSON file's content, or None with the reason added to problems."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        problems.append(f"{path.name}: {err}")
        return None


def type_problem(value: Any, hint: Any) -> str | None:
    """Return why value does not fit a Manifest annotation (str, bool, list[...], dict[...], Literal), or None."""
    origin = get_origin(hint)
    if origin is Literal:
        return None if value in get_args(hint) else f"{value!r} is not one of {get_args(hint)}"
    if origin in (list, dict):
        if not isinstance(value, origin):
            return f"{value!r} is not a {origin.__name__}"
        items = value if origin is list else value.values()
        inner = get_args(hint)[-1]
        for item in items:
            if (why := type_problem(item, inner)) is not None:
                return why
        return None
    if origin is not None:  # a union: any member fits
        whys = [type_problem(value, arg) for arg in get_args(hint)]
        return None if None in whys else whys[0]
    if hint is bool or hint is int:
        return None if type(value) is hint else f"{value!r} is not a {hint.__name__}"
    return None if isinstance(value, hint) else f"{value!r} is not a {hint.__name__}"


@contextlib.contextmanager
def captured(logger_name: str) -> Iterator[list[str]]:
    """Collect the messages a logger emits meanwhile."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Collect(logging.WARNING)
    log = logging.getLogger(logger_name)
    log.addHandler(handler)
    try:
        yield messages
    finally:
        log.removeHandler(handler)


def check_loader(package: Path, problems: list[str]) -> None:
    """Let Home Assistant's loader resolve the integration as it does at start (version rules, blocked list)."""
    # The loader only keeps caches on hass.data while resolving; nothing else of hass is used.
    hass: Any = types.SimpleNamespace(data=defaultdict(dict))
    root = types.SimpleNamespace(__name__="custom_components", __path__=[str(package.parent)])
    with captured("homeassistant.loader") as messages:
        integration = loader.Integration.resolve_from_root(hass, root, package.name)
    if integration is None:
        errors = [m for m in messages if "custom integration" not in m or "blocked" in m]
        problems.append(
            "manifest.json: Home Assistant's loader rejects it: " + ("; ".join(errors) or "?")
        )


def check_manifest(package: Path, problems: list[str]) -> None:
    """Check manifest.json against HA's Manifest type and loader, hassfest's custom-integration rules and HACS's."""
    manifest = read_json(package / "manifest.json", problems)
    if not isinstance(manifest, dict):
        return
    hints = get_type_hints(loader.Manifest)
    for key, value in manifest.items():
        if key not in hints:
            problems.append(f"manifest.json: unknown key {key!r}")
        elif (why := type_problem(value, hints[key])) is not None:
            problems.append(f"manifest.json: {key}: {why}")
    keys = list(manifest)
    if keys[:2] != ["domain", "name"] or keys[2:] != sorted(keys[2:]):
        problems.append("manifest.json: keys must be domain, name, then the rest sorted")
    for key in ("domain", "name", "version", "codeowners", "documentation", "issue_tracker"):
        if not manifest.get(key):
            problems.append(f"manifest.json: {key} is missing or empty (HACS needs it)")
    if manifest.get("domain") != package.name:
        problems.append(f"manifest.json: domain is not the folder name {package.name!r}")
    for owner in manifest.get("codeowners", []):
        if not re.fullmatch(r"@[A-Za-z0-9-]+(/[A-Za-z0-9_.-]+)?", str(owner)):
            problems.append(
                f"manifest.json: codeowner {owner!r} is not a GitHub @user or @org/team"
            )
    for key in ("documentation", "issue_tracker"):
        if manifest.get(key) and not str(manifest[key]).startswith("https://"):
            problems.append(f"manifest.json: {key} is not an https:// address")
    if manifest.get("iot_class") not in IOT_CLASSES:
        problems.append(f"manifest.json: iot_class {manifest.get('iot_class')!r} is unknown")
    for requirement in manifest.get("requirements", []):
        if not re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.+-]+", str(requirement)):
            problems.append(f"manifest.json: requirement {requirement!r} is not pinned with ==")
    components = Path(loader.__file__).parent / "components"
    for key in ("dependencies", "after_dependencies"):
        for domain in manifest.get(key, []):
            if not (components / str(domain) / "manifest.json").is_file():
                problems.append(
                    f"manifest.json: {key}: {domain!r} is no Home Assistant integration"
                )
    if manifest.get("config_flow") and not (package / "config_flow.py").is_file():
        problems.append("manifest.json: config_flow is true but there is no config_flow.py")
    check_loader(package, problems)


def check_services(package: Path, strings: dict[str, Any], problems: list[str]) -> set[str] | None:
    """Check services.yaml with HA's own service schema and selectors, and that strings.json names each part."""
    try:
        services = service._SERVICES_SCHEMA(load_yaml(str(package / "services.yaml")) or {})
    except (vol.Invalid, OSError, ValueError) as err:
        problems.append(f"services.yaml: {err}")
        return None
    texts = strings.get("services", {})
    for name, maybe_spec in services.items():
        spec = maybe_spec or {}
        if not {"name", "description"} <= set(texts.get(name, {})):
            problems.append(f"strings.json: services.{name} needs a name and a description")
        fields = dict(spec.get("fields", {}))
        for field_name, field in list(fields.items()):
            if "fields" in field:  # a section: its fields are the service's fields too
                fields.pop(field_name)
                fields.update(field["fields"])
        for field_name, field in fields.items():
            if "selector" in field:
                try:
                    selector.validate_selector(field["selector"])
                except (vol.Invalid, KeyError) as err:
                    problems.append(f"services.yaml: {name}.{field_name}: selector: {err}")
                select = field["selector"].get("select") or {}
                if key := select.get("translation_key"):
                    options = strings.get("selector", {}).get(key, {}).get("options", {})
                    for option in select.get("options", []):
                        value = option["value"] if isinstance(option, dict) else option
                        if value not in options:
                            problems.append(
                                f"strings.json: selector.{key}.options.{value} is missing"
                            )
            text = texts.get(name, {}).get("fields", {}).get(field_name, {})
            if "name" not in text:
                problems.append(f"strings.json: services.{name}.fields.{field_name} has no name")
    return set(services)


def check_icons(
    package: Path, strings: dict[str, Any], services: set[str] | None, problems: list[str]
) -> None:
    """Check icons.json's shape and icon names, and that it names only entities and services that exist."""
    icons = read_json(package / "icons.json", problems)
    if icons is None:
        return
    try:
        icons = ICONS_SCHEMA(icons)
    except vol.Invalid as err:
        problems.append(f"icons.json: {err}")
        return
    entities = strings.get("entity", {})
    for platform, keys in icons.get("entity", {}).items():
        for key in keys:
            if key not in entities.get(platform, {}):
                problems.append(f"icons.json: entity.{platform}.{key} is not in strings.json")
    if services is None:  # services.yaml itself is broken (reported already)
        return
    for name in sorted(set(icons.get("services", {})) ^ services):
        problems.append(f"icons.json: service {name!r} is in one of icons.json, services.yaml only")


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """Return {"a::b": leaf} for a translation tree (keys joined the way [%key:...%] references them)."""
    if not isinstance(node, dict):
        return {prefix: node}
    flat: dict[str, Any] = {}
    for key, value in node.items():
        flat.update(flatten(value, f"{prefix}::{key}" if prefix else key))
    return flat


def check_translations(package: Path, strings: dict[str, Any], problems: list[str]) -> None:
    """strings.json's own references resolve, every text is a string, and en.json has exactly its keys."""
    domain = package.name
    flat = flatten(strings)
    for key, text in flat.items():
        if not isinstance(text, str) or not text.strip():
            problems.append(f"strings.json: {key} is not a text")
            continue
        for ref in REFERENCE.findall(text):
            own = f"component::{domain}::"
            if ref.startswith(own) and ref[len(own) :] not in flat:
                problems.append(f"strings.json: {key} refers to missing [%key:{ref}%]")
    english = read_json(package / "translations" / "en.json", problems)
    if isinstance(english, dict):
        for key in sorted(set(flat) ^ set(flatten(english))):
            problems.append(f"translations/en.json: {key} is in only one of it and strings.json")


def check_hacs(path: Path, problems: list[str]) -> None:
    """hacs.json has HACS's keys only, a name, and a minimum Home Assistant that this one satisfies."""
    hacs = read_json(path, problems)
    if not isinstance(hacs, dict):
        return
    for key, value in hacs.items():
        if key not in HACS_KEYS:
            problems.append(f"hacs.json: unknown key {key!r}")
        elif not isinstance(value, HACS_KEYS[key]):
            problems.append(f"hacs.json: {key}: {value!r} has the wrong type")
    if not hacs.get("name"):
        problems.append("hacs.json: name is missing")
    minimum = hacs.get("homeassistant")
    if not isinstance(minimum, str) or AwesomeVersion(HA_VERSION) < AwesomeVersion(minimum):
        problems.append(f"hacs.json: homeassistant {minimum!r} is not met by {HA_VERSION}")


def validate(package: Path = PACKAGE, hacs_json: Path = HACS_JSON) -> list[str]:
    """Return every problem found (an empty list: all valid)."""
    problems: list[str] = []
    check_manifest(package, problems)
    strings = read_json(package / "strings.json", problems)
    if not isinstance(strings, dict):
        return problems
    services = check_services(package, strings, problems)
    check_icons(package, strings, services, problems)
    check_translations(package, strings, problems)
    check_hacs(hacs_json, problems)
    return problems


def main(argv: list[str] | None = None) -> int:
    """Print the problems; exit 1 when there are any."""
    parser = argparse.ArgumentParser(prog="scripts/validate.py", description=__doc__)
    parser.add_argument("package", nargs="?", type=Path, default=PACKAGE)
    parser.add_argument("--hacs-json", type=Path, default=HACS_JSON)
    args = parser.parse_args(argv)
    problems = validate(args.package, args.hacs_json)
    for problem in problems:
        print(f"invalid: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(
        f"validate: manifest, services.yaml, icons.json, translations, hacs.json valid (HA {HA_VERSION})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
