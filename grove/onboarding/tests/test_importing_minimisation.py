"""The minimisation guard: values of a column outside the five allowed ones are never stored,
logged, queued or audited — searched for in every text column of every table, in the captured
log records, in the task queue and in the storage."""

import logging

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models

from grove.onboarding.actions import import_enqueue, import_preview
from grove.onboarding.importing import ImportOptions
from grove.onboarding.models import ImportStatus
from grove.tenancy.context import tenant_context, unscoped

DROPPED_VALUES = ("+33 6 12 34 56 78", "1985-04-12", "EMP-98765", "12 rue Secrète")

LIST = (
    "Email;Prénom;Nom;Pays;Métier;Téléphone;Date de naissance;Matricule;Adresse\r\n"
    "dana@a.example;Dana;Durand;FR;;+33 6 12 34 56 78;1985-04-12;EMP-98765;12 rue Secrète\r\n"
    "bad-email;Eve;Evans;FR;;+33 6 12 34 56 78;1985-04-12;EMP-98765;12 rue Secrète\r\n"
)

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.FileField)


@pytest.fixture
def storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def database_text() -> str:
    """Every text column of every table, as one string."""
    chunks = []
    with unscoped("test: search the whole database"):
        for model in apps.get_models(include_auto_created=True):
            names = [f.attname for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)]
            if not names:
                continue
            for row in model._base_manager.values_list(*names):
                chunks.append(repr(row))
    return "\n".join(chunks)


def storage_text(root) -> str:
    return "\n".join(
        path.read_bytes().decode("utf-8", "replace") for path in root.rglob("*") if path.is_file()
    )


def assert_nowhere(text: str) -> None:
    for value in DROPPED_VALUES:
        assert value not in text
    assert "EMP" not in text
    assert "98765" not in text


def test_dropped_columns_leave_no_trace(
    org_a, bob, storage, caplog, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    caplog.set_level(logging.DEBUG)
    user_import = import_preview(
        actor=bob,
        organization=org_a,
        uploaded_file=SimpleUploadedFile("people.csv", LIST.encode("cp1252")),
        source="web",
        options=ImportOptions(),
    )
    assert user_import.dropped_columns == [
        "Téléphone",
        "Date de naissance",
        "Matricule",
        "Adresse",
    ]
    # The kept list holds the five columns only.
    kept = storage_text(storage)
    assert "dana@a.example" in kept
    assert_nowhere(kept)
    assert_nowhere(database_text())

    with django_capture_on_commit_callbacks(execute=True):
        import_enqueue(actor=bob, user_import=user_import, valid_only=True, full_sync=False)
    with tenant_context(org_a):
        user_import.refresh_from_db()
    assert user_import.status == ImportStatus.DONE
    assert user_import.created_count == 1

    text = database_text()
    assert "dana@a.example" in text  # the search does see what was stored
    assert_nowhere(text)
    assert_nowhere(storage_text(storage))
    logged = "\n".join(
        f"{r.getMessage()} {r.args!r} {getattr(r, '__dict__', {})!r}" for r in caplog.records
    )
    assert_nowhere(logged)
