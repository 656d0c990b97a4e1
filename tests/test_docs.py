"""Every relative link and image in the repository's Markdown files points to something that exists."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
import re
from urllib.parse import unquote

import pytest

REPO = Path(__file__).parents[1]
# Folders that are not the project's own documentation (environments, caches, generated output).
SKIP_DIRS = frozenset({"artifacts", "node_modules", "__pycache__"})

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
# [text](target "title") and ![alt](target); the target may be <wrapped in angle brackets>.
INLINE_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+[\"'(][^)]*)?\s*\)"
)
REFERENCE_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)", re.M)
HTML_LINK = re.compile(
    r"<(?:a|img|source)\b[^>]*?\b(?:href|src|srcset)\s*=\s*[\"']([^\"']+)[\"']", re.I
)
HTML_ANCHOR = re.compile(r"<[a-z]+\b[^>]*?\b(?:id|name)\s*=\s*[\"']([^\"']+)[\"']", re.I)
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def markdown_files(root: Path = REPO) -> list[Path]:
    """Return the Markdown files of the repository, outside hidden and generated folders."""
    return sorted(
        path
        for path in root.rglob("*.md")
        if not any(
            part.startswith(".") or part in SKIP_DIRS for part in path.relative_to(root).parts[:-1]
        )
        and path.relative_to(root).parts[:2] != ("demo", "config")
    )


def outside_fences(text: str) -> Iterator[str]:
    """Yield the lines of a Markdown text that are not inside a fenced code block."""
    fence: str | None = None
    for line in text.splitlines():
        if match := FENCE.match(line):
            marker = match.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        if fence is None:
            yield line


def slug(heading: str) -> str:
    """Return the anchor GitHub gives a heading (before duplicates are numbered)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts as its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Return every anchor a Markdown file offers: its headings' slugs and explicit ids."""
    seen: Counter[str] = Counter()
    found: set[str] = set()
    text = path.read_text(encoding="utf-8")
    for line in outside_fences(text):
        if heading := HEADING.match(line):
            base = slug(heading.group(1))
            found.add(f"{base}-{seen[base]}" if seen[base] else base)
            seen[base] += 1
    found.update(HTML_ANCHOR.findall(text))
    return found


def link_targets(path: Path) -> list[str]:
    """Return the targets of every link and image in a Markdown file, outside code."""
    text = path.read_text(encoding="utf-8")
    prose = "\n".join(INLINE_CODE.sub("", line) for line in outside_fences(text))
    targets = [t[1:-1] if t.startswith("<") else t for t in INLINE_LINK.findall(prose)]
    targets += [t[1:-1] if t.startswith("<") else t for t in REFERENCE_DEF.findall(prose)]
    for value in HTML_LINK.findall(prose):
        targets += [part.split()[0] for part in value.split(",") if part.strip()]
    return targets


def broken_links(path: Path, root: Path = REPO) -> list[str]:
    """Return the relative links of one file that point to no file, or to no heading of it."""
    problems: list[str] = []
    for target in link_targets(path):
        if SCHEME.match(target) or target.startswith("//"):
            continue  # another site: not checked offline
        file_part, _, fragment = target.partition("#")
        file_part = unquote(file_part.split("?")[0])
        if not file_part:
            resolved = path
        elif file_part.startswith("/"):
            resolved = root / file_part.lstrip("/")  # GitHub: relative to the repository root
        else:
            resolved = path.parent / file_part
        resolved = resolved.resolve()
        if not resolved.is_relative_to(root.resolve()) or not resolved.exists():
            problems.append(f"{target}: no such file")
        elif fragment and resolved.suffix == ".md" and unquote(fragment) not in anchors(resolved):
            problems.append(f"{target}: no heading #{fragment} in {resolved.name}")
    return problems


def test_the_docs_are_found() -> None:
    """The README, the benchmark results and the docs folder are all checked."""
    names = {path.relative_to(REPO).as_posix() for path in markdown_files()}
    assert {"README.md", "BENCHMARKS.md", "docs/use-cases.md"} <= names
    assert not any(name.startswith(".envs/") for name in names)


@pytest.mark.parametrize(
    "path", markdown_files(), ids=lambda path: path.relative_to(REPO).as_posix()
)
def test_links_resolve(path: Path) -> None:
    """Each relative link or image names an existing file and, for Markdown, an existing heading."""
    assert broken_links(path) == []


def test_readme_links_every_docs_page() -> None:
    """No page in docs/ is an orphan: the README links each of them."""
    readme = REPO / "README.md"
    linked = {(REPO / unquote(t.partition("#")[0])).resolve() for t in link_targets(readme)}
    pages = set((REPO / "docs").glob("*.md"))
    assert sorted(p.name for p in pages if p.resolve() not in linked) == []


LANGUAGE_NAMES = {
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "it": "Italian",
    "nl": "Dutch",
    "pl": "Polish",
    "pt-BR": "Brazilian Portuguese",
    "zh-Hans": "Simplified Chinese",
}


def test_readme_names_every_language() -> None:
    """The README's language list is the list of translation files."""
    folder = REPO / "custom_components" / "anycubic_kobra2" / "translations"
    assert {path.stem for path in folder.glob("*.json")} == set(LANGUAGE_NAMES)
    languages = (REPO / "README.md").read_text(encoding="utf-8").split("## Languages", 1)[1]
    paragraph = " ".join(languages.split("\n\n")[1].split())
    assert [name for name in LANGUAGE_NAMES.values() if name not in paragraph] == []


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Voice (Assist)", "voice-assist"),
        ("How `upload_and_print` reaches the printer", "how-upload_and_print-reaches-the-printer"),
        ("Using Home Assistant's MQTT connection", "using-home-assistants-mqtt-connection"),
        ("Quick start (no printer needed)", "quick-start-no-printer-needed"),
        ("Try it without a printer: the demo", "try-it-without-a-printer-the-demo"),
        ("Files on **USB** and [links](x.md)", "files-on-usb-and-links"),
        ("Größe – Übersicht", "größe--übersicht"),
    ],
)
def test_slug_like_github(heading: str, expected: str) -> None:
    """Anchors are made the way GitHub makes them."""
    assert slug(heading) == expected


def test_broken_links_are_found(tmp_path: Path) -> None:
    """A missing file, a missing heading or a link out of the repository is reported; code is not."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "img.png").write_bytes(b"")
    (tmp_path / "docs" / "page.md").write_text("# Page\n\n## Setup\n\n## Setup\n", encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Top\n\n"
        "![ok](img.png) [ok](docs/page.md#setup-1) [ok](#top) [ok](/docs/page.md) "
        "[web](https://example.com/x.md)\n"
        "![gone](missing.png) [gone](docs/page.md#install) [gone](#nowhere) [out](../x.md)\n"
        '<img src="nope.png">\n\n'
        "[ref]: docs/none.md\n\n"
        "```md\n[in code](nothing.md)\n```\n\n`[inline](nothing.md)`\n",
        encoding="utf-8",
    )
    assert markdown_files(tmp_path) == [readme, tmp_path / "docs" / "page.md"]
    assert broken_links(readme, tmp_path) == [
        "missing.png: no such file",
        "docs/page.md#install: no heading #install in page.md",
        "#nowhere: no heading #nowhere in README.md",
        "../x.md: no such file",
        "docs/none.md: no such file",
        "nope.png: no such file",
    ]
