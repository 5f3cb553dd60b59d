"""The README's permission table is the one the server enforces."""

from __future__ import annotations

from pathlib import Path

from services.runtime.permissions import markdown_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_table_is_rendered_from_the_enforced_table():
    text = README.read_text()
    start = text.index("<!-- permissions:start -->") + len("<!-- permissions:start -->")
    end = text.index("<!-- permissions:end -->")
    assert text[start:end].strip() == markdown_table().strip(), (
        "README permission table is stale: paste `python -m services.runtime.permissions`"
    )
