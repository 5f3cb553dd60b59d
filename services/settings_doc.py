"""docs/settings.md's table of environment variables, rendered from the settings model.

`python -m services.settings_doc --write` rewrites the block between the markers of
docs/settings.md (the text around it stays); tests/test_settings_doc.py fails when the
block is not what this renders, so the reference never drifts from the settings. Each row
is one field of services/runtime/settings.py: its variable, default and docstring, with
the range or choices the settings accept.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic.fields import FieldInfo

from services.runtime.settings import Settings, bounds

SETTINGS_MD = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
START = "<!-- settings:start -->"
END = "<!-- settings:end -->"
INTRO = (
    "Generated from `services/runtime/settings.py` by `python -m services.settings_doc "
    "--write`; a test fails when it is stale."
)


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _default(field: FieldInfo) -> str:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    if "shown_default" in extra:
        return str(extra["shown_default"])
    value = field.default
    if value is None or value == "":
        return "unset"
    if isinstance(value, bool):
        return f"`{int(value)}`"
    return f"`{_number(value)}`"


def _meaning(field: FieldInfo) -> str:
    """The field's docstring on one line, and what values it accepts."""
    text = " ".join((field.description or "").split())
    limits = bounds(field)
    if limits:
        text += f" Range {_number(limits[0])} to {_number(limits[1])}."
    if get_origin(field.annotation) is Literal:
        choices = get_args(field.annotation)
        if not all(f"`{choice}`" in text for choice in choices):
            text += " One of " + ", ".join(f"`{choice}`" for choice in choices) + "."
    return text.replace("|", "\\|")


def render_table() -> str:
    """The block between the markers: a row per setting, in the model's order."""
    rows = [INTRO, "", "| variable | default | meaning |", "|---|---|---|"]
    for field in Settings.model_fields.values():
        rows.append(f"| `{field.validation_alias}` | {_default(field)} | {_meaning(field)} |")
    return "\n".join(rows)


def block_of(text: str) -> str:
    """What lies between the markers of `text`, without the blank lines around it.

    Raises ValueError when a marker is missing.
    """
    start, end = text.index(START) + len(START), text.index(END)
    return text[start:end].strip("\n")


def with_table(text: str) -> str:
    """`text` with the block between its markers replaced by the rendered table."""
    start, end = text.index(START) + len(START), text.index(END)
    return f"{text[:start]}\n\n{render_table()}\n\n{text[end:]}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {SETTINGS_MD.name}")
    if parser.parse_args(argv).write:
        SETTINGS_MD.write_text(with_table(SETTINGS_MD.read_text(encoding="utf-8")), "utf-8")
    else:
        print(render_table())


if __name__ == "__main__":
    main()
