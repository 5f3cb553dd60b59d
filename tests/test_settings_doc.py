"""docs/settings.md's table is the one the settings model renders, and covers every setting."""

from __future__ import annotations

from services.runtime.settings import Settings, load_settings
from services.settings_doc import END, SETTINGS_MD, START, block_of, render_table, with_table


def test_the_settings_reference_is_current():
    assert block_of(SETTINGS_MD.read_text(encoding="utf-8")) == render_table(), (
        "docs/settings.md is stale: python -m services.settings_doc --write"
    )


def test_every_setting_has_a_row_with_its_meaning():
    table = render_table()
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} has no docstring"
        assert f"| `{field.validation_alias}` |" in table


def test_writing_keeps_the_text_around_the_table():
    text = f"# Settings\n\nbefore\n\n{START}\nold rows\n{END}\n\nafter\n"
    written = with_table(text)
    assert written.startswith("# Settings\n\nbefore\n\n") and written.endswith(f"{END}\n\nafter\n")
    assert block_of(written) == render_table()


def test_the_process_environment_is_read_like_a_given_one(monkeypatch):
    for field in Settings.model_fields.values():
        monkeypatch.delenv(str(field.validation_alias), raising=False)
    monkeypatch.setenv("PARKVPP_GRPC_PORT", "50051")
    monkeypatch.setenv("PARKVPP_OUTBOX_RETAIN", "yes")
    assert load_settings() == load_settings(
        {"PARKVPP_GRPC_PORT": "50051", "PARKVPP_OUTBOX_RETAIN": "1"}
    )
    assert load_settings({}).grpc_port == 0, "a given mapping is all that is read"
