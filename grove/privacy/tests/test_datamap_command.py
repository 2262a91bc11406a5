"""`manage.py datamap`: JSON for tools, Markdown for docs/datamap.md (which must stay current)."""

import json
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from grove.accounts.models import User
from grove.privacy.datamap import Category, Retention
from grove.privacy.datamap_export import render

DOC_PATH = settings.BASE_DIR / "docs" / "datamap.md"


def _run_datamap(*args: str) -> str:
    out = StringIO()
    call_command("datamap", *args, stdout=out)
    return out.getvalue()


def _fields_per_meta() -> set[tuple[str, str]]:
    """Every stored field of every concrete model, read from _meta without the data map's code:
    the model's own columns (those of a concrete parent belong to the parent's table) and its
    many-to-many relations (auto-created through tables and reverse relations excluded)."""
    fields = set()
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for field in model._meta.get_fields(include_parents=False):
            if field.concrete or (field.many_to_many and not field.auto_created):
                fields.add((model._meta.label, field.name))
    return fields


def test_json_lists_every_field_of_every_model():
    rows = json.loads(_run_datamap("--format", "json"))

    assert isinstance(rows, list)
    assert all(set(row) == {"model", "field", "category", "personal", "retention"} for row in rows)
    pairs = [(row["model"], row["field"]) for row in rows]
    assert len(pairs) == len(set(pairs)), "a field is listed twice"
    assert set(pairs) == _fields_per_meta()
    assert ("accounts.User", "email") in pairs
    assert ("sessions.Session", "session_key") in pairs
    assert ("auth.Group", "permissions") in pairs  # many-to-many relations count too


def test_json_rows_carry_known_categories_and_retention_rules():
    rows = json.loads(_run_datamap("--format", "json"))

    for row in rows:
        assert row["category"] in Category.values
        assert row["retention"] in Retention.values
        assert isinstance(row["personal"], bool)
    email = next(r for r in rows if (r["model"], r["field"]) == ("accounts.User", "email"))
    assert email == {
        "model": "accounts.User",
        "field": "email",
        "category": "contact.business_email",
        "personal": True,
        "retention": "until-erased",
    }


def test_markdown_explains_categories_and_marks_personal_fields():
    text = _run_datamap("--format", "markdown")

    assert text.startswith("# Data map\n")
    for category in Category:
        assert f"| `{category.value}` | {category.label} |" in text
    for retention in Retention:
        assert f"| `{retention.value}` | {retention.label} |" in text
    assert "### accounts.User" in text
    assert "| **`email`** | **personal** |" in text
    assert "| `password` | no |" in text


def test_output_option_writes_the_same_document(tmp_path):
    target = tmp_path / "datamap.md"

    assert _run_datamap("--format", "markdown", "--output", str(target)) == ""
    assert target.read_text(encoding="utf-8") == render("markdown")


def test_an_incomplete_data_map_is_a_command_error(monkeypatch):
    monkeypatch.setattr(User, "DATA_MAP", {k: v for k, v in User.DATA_MAP.items() if k != "email"})

    with pytest.raises(CommandError, match="accounts.User.email: unclassified field"):
        _run_datamap("--format", "json")


def test_docs_datamap_md_is_up_to_date():
    current = render("markdown")
    committed = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""

    assert committed == current, (
        "docs/datamap.md is stale: run `make datamap` (or `python manage.py datamap "
        "--format markdown --output docs/datamap.md`) and commit the result."
    )
