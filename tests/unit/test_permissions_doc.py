"""The permission table of docs/security.md is the one the server enforces."""

from __future__ import annotations

from pathlib import Path

from services.runtime.permissions import markdown_table

SECURITY_DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def test_the_documented_table_is_rendered_from_the_enforced_table():
    text = SECURITY_DOC.read_text()
    start = text.index("<!-- permissions:start -->") + len("<!-- permissions:start -->")
    end = text.index("<!-- permissions:end -->")
    assert text[start:end].strip() == markdown_table().strip(), (
        "docs/security.md permission table is stale: paste `python -m services.runtime.permissions`"
    )
