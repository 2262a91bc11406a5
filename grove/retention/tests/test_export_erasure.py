"""An erasure during the grace period reaches the organization export: the ZIP names every
member, so erasing one of them deletes it (the managers are then offered a new one)."""

from __future__ import annotations

from typing import cast

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


def _names(export: OrganizationExport, email: str) -> bool:
    return erasure._file_contains(default_storage, cast(str, export.file.name), email.encode())


def test_a_member_erased_during_the_build_is_not_in_the_export(
    retention_world, alice, security_officer, monkeypatch, django_capture_on_commit_callbacks
):
    from grove.retention import org_export

    write = org_export.write_organization_zip
    builds = []

    def erase_alice_during_the_first_build(organization, spool, **kwargs):
        manifest = write(organization, spool, **kwargs)  # Alice is in this one
        builds.append(manifest)
        if len(builds) == 1:
            with django_capture_on_commit_callbacks(execute=True):
                erasure.erase_person(actor=security_officer, subject=alice)
        return manifest

    monkeypatch.setattr(org_export, "write_organization_zip", erase_alice_during_the_first_build)
    export = export_for(retention_world.a.organization)
    build_organization_export(export.pk)

    assert len(builds) == 2
    with unscoped("test"):
        export = OrganizationExport.objects.get(pk=export.pk)
    assert export.status == ExportStatus.READY
    assert not _names(export, "alice@a.example")
    assert _names(export, "bob@a.example")
    assert default_storage.listdir(export.file.name.rsplit("/", 1)[0])[1] == [
        export.file.name.rsplit("/", 1)[1]
    ]


def test_erasures_during_every_build_fail_the_export_and_leave_no_file(
    retention_world, monkeypatch
):
    from grove.retention import org_export

    counter = iter(range(100))  # a new member erased between every two looks
    monkeypatch.setattr(org_export, "_erased_members", lambda organization: {next(counter)})
    export = export_for(retention_world.a.organization)
    with pytest.raises(org_export.ExportOutdated):
        build_organization_export(export.pk)
    with unscoped("test"):
        export = OrganizationExport.objects.get(pk=export.pk)
    assert export.status == ExportStatus.FAILED and not export.file
    folder = f"retention-exports/{retention_world.a.organization.pk}"
    assert not default_storage.exists(folder) or default_storage.listdir(folder)[1] == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_erasure_in_flight_holds_the_export_until_it_commits(
    retention_world, alice, security_officer, monkeypatch
):
    """The race on real connections: the erasure has searched the (still empty) export rows
    and is about to commit when the build reads Alice; the build's row lock waits for the
    erasure, sees it, and builds again."""
    import threading

    from django.db import connection

    anonymise = erasure._anonymise_user
    searched, go = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def held_anonymise(subject):
        anonymise(subject)
        searched.set()
        go.wait(timeout=60)  # the transaction, and its row locks, stay open until then

    monkeypatch.setattr(erasure, "_anonymise_user", held_anonymise)

    def run(work):
        try:
            work()
        except BaseException as error:  # noqa: BLE001 -- reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    export = export_for(retention_world.a.organization)
    eraser = threading.Thread(
        target=run, args=(lambda: erasure.erase_person(actor=security_officer, subject=alice),)
    )
    builder = threading.Thread(target=run, args=(lambda: build_organization_export(export.pk),))
    eraser.start()
    assert searched.wait(timeout=60)
    builder.start()
    builder.join(timeout=3)
    assert builder.is_alive()  # waiting on the export row the erasure locked
    go.set()
    eraser.join(timeout=60)
    builder.join(timeout=120)

    assert errors == []
    with unscoped("test"):
        export = OrganizationExport.objects.get(pk=export.pk)
    assert export.status == ExportStatus.READY
    assert not _names(export, "alice@a.example")
    assert _names(export, "bob@a.example")
