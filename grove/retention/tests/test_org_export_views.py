"""The organization export's link: GET shows a page and spends nothing, POST streams the ZIP and
logs the download; a forged or expired link, someone no longer a manager, a purged organization
are refused with a page that says so (ACCESS_DENIED recorded); an export being prepared says so."""

from __future__ import annotations

import datetime
import hashlib

import pytest
import time_machine
from django.conf import settings
from django.core import signing
from django.utils import timezone

from grove.audit.models import AuditAction, AuditEvent
from grove.core.testing.factories import PracticeFactory, UserFactory
from grove.retention.models import ExportStatus, OrganizationExport
from grove.retention.org_export import (
    build_organization_export,
    download_token,
    download_url,
    export_for,
)
from grove.tenancy.context import unscoped

pytestmark = pytest.mark.django_db


def events(action) -> list[AuditEvent]:
    with unscoped("test: read the access log"):
        return list(AuditEvent.objects.filter(action=action).order_by("id"))


def reload(export: OrganizationExport) -> OrganizationExport:
    with unscoped("test"):
        export.refresh_from_db()
    return export


def update(instance, **fields) -> None:
    with unscoped("test set-up"):
        for name, value in fields.items():
            setattr(instance, name, value)
        instance.save(update_fields=list(fields))


@pytest.fixture
def ended_a(org_a, alice, bob):
    """Organization A (Alice, Bob its manager, a practice), its contract ended yesterday: the
    purge date is 30 days after that."""
    org = org_a
    PracticeFactory(organization=org, author=alice, title="Night shift checklist")
    update(
        org,
        status=org.Status.ENDED,
        contract_end=timezone.localdate() - datetime.timedelta(days=1),
        ended_at=timezone.now(),
    )
    return org


@pytest.fixture
def ready(ended_a):
    return build_organization_export(export_for(ended_a).pk)


def path_of(export, manager) -> str:
    return download_url(export, manager).removeprefix(settings.GROVE_BASE_URL)


def assert_refused(response, status, text, reason):
    assert response.status_code == status
    assert text in response.content.decode()
    assert not response.has_header("Content-Disposition")
    [denied] = events(AuditAction.ACCESS_DENIED)
    assert denied.details == {"reason": reason}
    assert events(AuditAction.ORG_EXPORT_DOWNLOADED) == []


def test_the_link_is_absolute_and_signed_for_one_manager(ready, bob):
    url = download_url(ready, bob)
    assert url.startswith(settings.GROVE_BASE_URL + "/retention/export/")
    assert "@" not in url and "Bob" not in url


def test_the_page_shows_the_organization_and_a_button_and_spends_nothing(client, ready, bob):
    page = client.get(path_of(ready, bob))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Organization A" in content and "Download the ZIP file" in content
    assert 'method="post"' in content
    assert "no-cache" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    assert reload(ready).download_count == 0
    assert events(AuditAction.ORG_EXPORT_DOWNLOADED) == []


def test_the_page_is_in_french_for_a_french_browser(client, ready, bob):
    page = client.get(path_of(ready, bob), HTTP_ACCEPT_LANGUAGE="fr")
    assert page.status_code == 200
    assert page["Content-Language"] == "fr"


def test_the_post_streams_the_zip_and_logs_the_download(client, ready, bob):
    response = client.post(path_of(ready, bob))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "grove-organization-export-org-a-" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == ready.sha256 and len(data) == ready.size_bytes
    export = reload(ready)
    assert export.download_count == 1 and export.last_downloaded_at is not None
    [event] = events(AuditAction.ORG_EXPORT_DOWNLOADED)
    assert event.actor_id == bob.pk and event.organization_id == ready.organization_id
    assert event.object_ids == [str(ready.pk)]
    # The link is not single-use: it works until the purge date.
    assert client.post(path_of(ready, bob)).status_code == 200
    assert reload(ready).download_count == 2


def test_a_forged_link_is_refused(client, ready, bob):
    token = download_token(ready, bob)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = client.post(f"/retention/export/{forged}/")
    assert_refused(response, 404, "This link no longer works", "bad_signature")
    assert reload(ready).download_count == 0


def test_a_link_signed_for_something_else_is_refused(client, ready, bob):
    # The same ids signed without this link's salt (as another feature of the site would).
    token = signing.dumps({"e": str(ready.pk), "m": str(bob.pk)})
    response = client.get(f"/retention/export/{token}/")
    assert_refused(response, 404, "This link no longer works", "bad_signature")


def noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))


def purge_date_of(organization) -> datetime.date:
    return organization.contract_end + datetime.timedelta(days=settings.GROVE_RETENTION_GRACE_DAYS)


def test_the_link_expires_on_the_purge_date(client, ready, bob, ended_a):
    purge_day = purge_date_of(ended_a)
    warned = purge_day - datetime.timedelta(days=settings.GROVE_RETENTION_WARNING_DAYS)
    update(ended_a, end_notice_sent_at=timezone.now(), purge_warning_sent_at=noon(warned))
    with time_machine.travel(noon(purge_day) - datetime.timedelta(days=1)):
        assert client.get(path_of(ready, bob)).status_code == 200
    with time_machine.travel(noon(purge_day)):
        response = client.post(path_of(ready, bob))
    assert_refused(response, 410, "This link no longer works", "expired")
    assert reload(ready).download_count == 0


def test_after_a_late_warning_the_link_works_until_the_announced_purge_day(
    client, ready, bob, ended_a
):
    """The warning went out 3 days after the purge date: the purge waits the warning's week,
    and the link works until then."""
    week = datetime.timedelta(days=settings.GROVE_RETENTION_WARNING_DAYS)
    warned = purge_date_of(ended_a) + datetime.timedelta(days=3)
    update(ended_a, end_notice_sent_at=timezone.now(), purge_warning_sent_at=noon(warned))
    with time_machine.travel(noon(warned + week) - datetime.timedelta(days=1)):
        assert client.get(path_of(ready, bob)).status_code == 200
    with time_machine.travel(noon(warned + week)):
        response = client.post(path_of(ready, bob))
    assert_refused(response, 410, "This link no longer works", "expired")


def test_before_the_warning_went_out_the_link_keeps_working(client, ready, bob, ended_a):
    # The scheduler was down: past the purge date, but no purge before the warning's week.
    later = purge_date_of(ended_a) + datetime.timedelta(days=5)
    with time_machine.travel(noon(later)):
        assert client.get(path_of(ready, bob)).status_code == 200


def test_a_manager_who_left_is_refused(client, ready, bob):
    update(bob, is_active=False)
    response = client.post(path_of(ready, bob))
    assert_refused(response, 404, "This link no longer works", "not_a_manager")


def test_a_former_manager_now_member_is_refused(client, ready, bob):
    update(bob, org_role="member")
    response = client.get(path_of(ready, bob))
    assert_refused(response, 404, "This link no longer works", "not_a_manager")


def test_a_member_link_or_another_organizations_manager_is_refused(client, ready, alice, org_b):
    erin = UserFactory(email="erin@b.example", organization=org_b, org_role="manager")
    assert_refused(client.get(path_of(ready, erin)), 404, "no longer works", "not_a_manager")
    response = client.post(path_of(ready, alice))
    assert response.status_code == 404
    assert len(events(AuditAction.ACCESS_DENIED)) == 2


def test_a_purged_organization_is_refused(client, ready, bob, ended_a):
    update(ended_a, status=ended_a.Status.PURGED, data_purged_at=timezone.now())
    response = client.post(path_of(ready, bob))
    assert_refused(response, 410, "This link no longer works", "purged")


def test_an_export_being_prepared_says_so_and_streams_nothing(client, ended_a, bob):
    pending = export_for(ended_a)
    for method in (client.get, client.post):
        response = method(path_of(pending, bob))
        assert response.status_code == 202
        assert "being prepared" in response.content.decode()
        assert not response.has_header("Content-Disposition")
    assert events(AuditAction.ORG_EXPORT_DOWNLOADED) == []


def test_a_failed_exports_link_serves_the_newer_ready_one(client, ended_a, bob):
    failed = export_for(ended_a)
    update(failed, status=ExportStatus.FAILED)
    newer = build_organization_export(export_for(ended_a).pk)
    assert newer.pk != failed.pk
    response = client.post(path_of(failed, bob))
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == newer.sha256
    assert reload(newer).download_count == 1


def test_an_erased_members_export_is_replaced_by_a_new_one(
    client, ended_a, ready, bob, monkeypatch
):
    """An erasure deletes the file of the export naming the person (row kept, file emptied):
    the link makes a new export (once), says it is being prepared, then serves it."""
    from django.core.files.storage import default_storage

    from grove.retention import org_export

    scheduled = []
    monkeypatch.setattr(org_export, "schedule_build", scheduled.append)
    default_storage.delete(ready.file.name)
    update(ready, file="")
    for _ in range(2):
        response = client.get(path_of(ready, bob))
        assert response.status_code == 202 and "being prepared" in response.content.decode()
    with unscoped("test"):
        [fresh] = OrganizationExport.objects.filter(status=ExportStatus.PENDING)
    assert scheduled == [fresh.pk]
    assert export_for(ended_a).pk == fresh.pk
    build_organization_export(fresh.pk)
    response = client.post(path_of(ready, bob))
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == reload(fresh).sha256


def test_a_failed_exports_link_schedules_a_new_build(client, ended_a, bob, monkeypatch):
    from grove.retention import org_export

    scheduled = []
    monkeypatch.setattr(org_export, "schedule_build", scheduled.append)
    failed = export_for(ended_a)
    update(failed, status=ExportStatus.FAILED)
    assert client.post(path_of(failed, bob)).status_code == 202
    assert len(scheduled) == 1 and scheduled[0] != failed.pk


def test_the_scheduled_build_runs_as_a_task_after_the_commit(
    ended_a, settings, django_capture_on_commit_callbacks
):
    from grove.retention.org_export import schedule_build

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    export = export_for(ended_a)
    with django_capture_on_commit_callbacks(execute=True):
        schedule_build(export.pk)
    assert reload(export).status == ExportStatus.READY


def test_a_file_lost_from_storage_is_refused(client, ready, bob):
    from django.core.files.storage import default_storage

    default_storage.delete(ready.file.name)
    response = client.post(path_of(ready, bob))
    assert_refused(response, 410, "This link no longer works", "missing_file")


def test_a_new_manager_gets_a_working_link(client, ready, ended_a):
    carol = UserFactory(
        email="carol@a.example", organization=ended_a, org_role="manager", password="!"
    )
    assert client.post(path_of(ready, carol)).status_code == 200
