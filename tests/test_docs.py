"""The README is a short front page whose commands run, and no doc points outside the repo."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from services.api_doc import render
from services.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"```sh\n(.*?)```", re.DOTALL)


def _anchors(path: Path) -> set[str]:
    """GitHub's anchors of the file's headings."""
    found = set()
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


def test_the_readme_is_a_short_front_page_with_contents():
    text = README.read_text()
    assert len(text.encode()) < 12_000
    assert text.count("\n## ") >= 3 and "Contents:" in text
    linked = text + "".join(page.read_text() for page in DOCS)
    for page in DOCS:
        assert f"(docs/{page.name})" in text or f"({page.name})" in linked, (
            f"docs/{page.name} is linked from nowhere"
        )


@pytest.mark.parametrize("doc", [README, *DOCS], ids=lambda p: p.name)
def test_every_link_stays_in_the_repository_and_resolves(doc):
    for target in _LINK.findall(doc.read_text()):
        assert not re.match(r"^[a-z]+:", target), f"{doc.name} links outside: {target}"
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        assert file.is_relative_to(ROOT) and file.exists(), f"{doc.name}: {target}"
        if anchor and file.suffix == ".md":
            assert anchor in _anchors(file), f"{doc.name}: no heading for {target}"


def test_the_api_reference_is_current():
    assert (ROOT / "docs" / "api.md").read_text() == render(), (
        "docs/api.md is stale: python -m services.api_doc > docs/api.md"
    )


_COMMAND = re.compile(r"(?:^|[\s(]|bin/)parkvpp ([^)\"#\n]+)", re.MULTILINE)


def _readme_commands() -> list[list[str]]:
    """Every `parkvpp ...` of the README's sh blocks (in `$(...)` too), the tour's $DAY set."""
    commands = []
    for block in _FENCE.findall(README.read_text()):
        text = block.replace("\\\n", " ").replace("$DAY", "2026-12-04")
        commands += [shlex.split(found) for found in _COMMAND.findall(text)]
    return commands


def test_every_parkvpp_command_of_the_readme_parses():
    commands = _readme_commands()
    assert len(commands) >= 8
    parser = build_parser()
    for args in commands:
        try:
            parser.parse_args(args)
        except SystemExit as exc:  # argparse's way of refusing
            pytest.fail(f"README command does not parse: parkvpp {shlex.join(args)} ({exc})")
