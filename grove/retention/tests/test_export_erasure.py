"""An erasure during the grace period reaches the organization export: the ZIP names every
member, so erasing one of them deletes it (the managers are then offered a new one)."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from grove.retention.models import ExportStatus, OrganizationExport
from grove.retention.org_export import build_organization_export, export_for
from grove.rights import erasure
from grove.tenancy.context import unscoped

pytestmark = pytest.mark.django_db


def _ready_export(org) -> OrganizationExport:
    export = export_for(org)
    build_organization_export(export.pk)
    with unscoped("test"):
        export = OrganizationExport.objects.get(pk=export.pk)
    assert export.status == ExportStatus.READY and export.file
    return export


def test_erasing_a_member_deletes_the_export_that_names_them(
    retention_world, alice, security_officer, django_capture_on_commit_callbacks
):
    export_a = _ready_export(retention_world.a.organization)
    export_b = _ready_export(retention_world.b.organization)
    assert erasure.coverage()["retention.OrganizationExport"] == "list"
    plan = erasure.erasure_plan(alice)
    assert export_a.file.name in plan.files
    with django_capture_on_commit_callbacks(execute=True):
        erasure.erase_person(actor=security_officer, subject=alice)
    with unscoped("test"):
        assert not OrganizationExport.objects.get(pk=export_a.pk).file
        assert OrganizationExport.objects.get(pk=export_b.pk).file  # names nobody erased
    assert not default_storage.exists(export_a.file.name)
    assert default_storage.exists(export_b.file.name)


def test_a_compressed_archive_is_searched_member_by_member(tmp_path):
    import zipfile

    from django.core.files.storage import FileSystemStorage

    storage = FileSystemStorage(location=tmp_path)
    with zipfile.ZipFile(tmp_path / "export.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("users.csv", "email\n" + "padding," * 1000 + "Someone@Client.example\n")
    assert erasure._file_contains(storage, "export.zip", b"someone@client.example")
    assert not erasure._file_contains(storage, "export.zip", b"nobody@client.example")
