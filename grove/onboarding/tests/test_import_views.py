"""The list import page: upload, preview, commit as a task with its progress, discard, the
issues CSV. Login required; members, other organizations and unassigned CSMs get 404."""

import io

import openpyxl
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from grove.accounts.models import Invitation, User
from grove.audit.models import AuditAction, AuditEvent
from grove.onboarding import import_views
from grove.onboarding.actions import import_preview
from grove.onboarding.importing import ImportOptions
from grove.onboarding.models import ImportStatus, UserImport
from grove.staff.models import CsmAssignment
from grove.tenancy.context import tenant_context, unscoped

PAGE = "/onboarding/import/"
HEADER = "email,first name,last name,country,job type,phone\n"
PHONE = "+33612345678"
GOOD = HEADER + f"dana@a.example,Dana,Durand,FR,,{PHONE}\neve@a.example,Eve,Evans,DE,,\n"
WITH_ERROR = GOOD + "not-an-email,Finn,Fox,FR,,\n"


@pytest.fixture(autouse=True)
def storage_and_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


@pytest.fixture
def audit_events(db):
    def read(action: str) -> list[AuditEvent]:
        with unscoped("test: read the access log"):
            return list(AuditEvent.objects.filter(action=action))

    return read


def csv_file(content: str, name: str = "list.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


def assign(csm, organization):
    with unscoped("test set-up"):
        return CsmAssignment.objects.create(organization=organization, csm=csm)


def previewed(org, actor, content=WITH_ERROR):
    return import_preview(
        actor=actor,
        organization=org,
        uploaded_file=csv_file(content),
        source="web",
        options=ImportOptions(),
    )


def reload(user_import):
    with unscoped("test"):
        return UserImport.objects.get(pk=user_import.pk)


def imports_of(org):
    with tenant_context(org):
        return list(UserImport.objects.all())


def people(org, *emails):
    with tenant_context(org):
        return set(User.objects.filter(email__in=emails).values_list("email", flat=True))


def upload(client, content, url=PAGE, **fields):
    return client.post(url, {"file": csv_file(content), **fields})


# --- Access -----------------------------------------------------------------------------------


def test_login_required(client, db):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_member_gets_404_on_every_page(client, alice, bob, org_a):
    user_import = previewed(org_a, bob)
    client.force_login(alice)
    base = f"{PAGE}{user_import.pk}/"

    assert client.get(PAGE).status_code == 404
    assert upload(client, GOOD).status_code == 404
    assert client.get(base).status_code == 404
    assert client.get(f"{base}progress/", HTTP_HX_REQUEST="true").status_code == 404
    assert client.get(f"{base}issues.csv").status_code == 404
    assert client.post(f"{base}commit/", {"valid_only": "on"}).status_code == 404
    assert client.post(f"{base}discard/").status_code == 404
    assert reload(user_import).status == ImportStatus.PREVIEWED
    assert len(imports_of(org_a)) == 1
    assert not people(org_a, "dana@a.example")


def test_charlie_gets_404_on_as_imports_and_slug(client, charlie, bob, org_a):
    user_import = previewed(org_a, bob)
    client.force_login(charlie)
    base = f"{PAGE}{user_import.pk}/"

    assert client.get(PAGE).status_code == 404  # Charlie is a member of B
    assert client.get(f"{PAGE}org/{org_a.slug}/").status_code == 404
    assert client.get(f"{PAGE}org/{org_a.pk}/{user_import.pk}/").status_code == 404
    assert client.get(base).status_code == 404
    assert client.get(f"{base}issues.csv").status_code == 404
    assert client.post(f"{base}commit/", {"valid_only": "on"}).status_code == 404
    assert client.post(f"{base}discard/").status_code == 404
    assert reload(user_import).status == ImportStatus.PREVIEWED


def test_a_manager_of_another_organization_gets_404_on_as_import(client, bob, org_a, org_b):
    from grove.core.testing.factories import UserFactory

    other_manager = UserFactory(organization=org_b, org_role="manager")
    user_import = previewed(org_a, bob)
    client.force_login(other_manager)

    assert client.get(PAGE).status_code == 200  # their own page
    assert client.get(f"{PAGE}{user_import.pk}/").status_code == 404
    assert client.get(f"{PAGE}{user_import.pk}/issues.csv").status_code == 404
    assert client.post(f"{PAGE}{user_import.pk}/discard/").status_code == 404
    assert reload(user_import).status == ImportStatus.PREVIEWED


def test_a_forged_import_id_is_a_404(client, bob):
    client.force_login(bob)

    assert client.get(f"{PAGE}00000000-0000-4000-8000-000000000000/").status_code == 404
    assert client.get(f"{PAGE}not-a-uuid/").status_code == 404


def test_a_csm_without_assignment_gets_404(staff_client, csm, bob, org_a):
    user_import = previewed(org_a, bob)
    client = staff_client(csm)

    assert client.get(f"{PAGE}org/{org_a.slug}/").status_code == 404
    assert client.get(f"{PAGE}org/{org_a.slug}/{user_import.pk}/").status_code == 404
    assert client.get(PAGE).status_code == 404


def test_a_csm_serving_the_organization_imports_for_it(
    staff_client, csm, bob, org_a, org_b, django_capture_on_commit_callbacks
):
    assign(csm, org_a)
    client = staff_client(csm)
    url = f"{PAGE}org/{org_a.slug}/"

    assert client.get(url).status_code == 200
    assert client.get(f"{PAGE}org/{org_a.pk}/").status_code == 200
    response = upload(client, GOOD, url=url)
    assert response.status_code == 302
    [user_import] = imports_of(org_a)
    assert response["Location"] == f"{url}{user_import.pk}/"
    assert client.get(response["Location"]).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        committed = client.post(f"{url}{user_import.pk}/commit/", {})
    assert committed.status_code == 302
    assert reload(user_import).status == ImportStatus.DONE
    assert people(org_a, "dana@a.example", "eve@a.example") == {
        "dana@a.example",
        "eve@a.example",
    }
    # Their import is not reachable through another organization's URL.
    assert client.get(f"{PAGE}org/{org_b.slug}/{user_import.pk}/").status_code == 404


# --- Upload and preview ----------------------------------------------------------------------


def test_the_preview_warns_of_dropped_columns_and_never_shows_their_values(
    client, bob, org_a, audit_events
):
    client.force_login(bob)

    response = upload(client, WITH_ERROR)

    assert response.status_code == 302
    [user_import] = imports_of(org_a)
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "These columns were dropped and not stored: phone" in html
    assert PHONE not in html
    assert user_import.created_count == 2
    assert user_import.error_count == 1
    assert user_import.updated_count == 0
    assert user_import.unchanged_count == 0
    assert 'data-count="create">2<' in html
    assert 'data-count="error">1<' in html
    assert 'data-line="2" data-outcome="create"' in html
    assert 'data-line="4" data-outcome="error"' in html
    assert "dana@a.example" in html  # the uploader sees their list
    assert not people(org_a, "dana@a.example", "eve@a.example")  # nothing written yet
    assert len(audit_events(AuditAction.IMPORT_PREVIEWED)) == 1
    [viewed] = audit_events(AuditAction.VIEW)
    assert viewed.object_ids == [str(user_import.pk)] and viewed.actor_id == bob.pk


def test_an_existing_person_is_previewed_as_update_or_unchanged(client, bob, alice, org_a):
    client.force_login(bob)
    content = (
        "email,first name,last name\n"
        f"{alice.email},{alice.first_name},{alice.last_name}\n"
        f"{alice.email.upper()}x,New,Person\n"
    )
    upload(client, content)
    [user_import] = imports_of(org_a)

    assert user_import.unchanged_count == 1
    assert user_import.created_count == 1


def test_an_unreadable_file_is_refused_with_a_clear_message(client, bob, org_a):
    client.force_login(bob)

    response = upload(client, "name,phone\nDana,0612\n")

    assert response.status_code == 400
    assert "Required column(s) missing" in response.content.decode()
    assert imports_of(org_a) == []


def test_a_post_without_a_file_asks_for_one(client, bob, org_a):
    client.force_login(bob)

    response = client.post(PAGE, {})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert imports_of(org_a) == []


def test_a_file_too_large_is_refused_before_its_body_is_read(client, bob, org_a, monkeypatch):
    monkeypatch.setattr(import_views, "MAX_IMPORT_BYTES", 100)
    monkeypatch.setattr(import_views, "FORM_OVERHEAD_BYTES", 1000)
    client.force_login(bob)
    big = HEADER + "dana@a.example,Dana,Durand,FR,,\n" * 200

    response = upload(client, big)

    assert response.status_code == 413
    assert "The file is larger than" in response.content.decode()
    assert imports_of(org_a) == []


def test_a_file_over_the_limit_is_refused_by_the_import_itself(client, bob, org_a, monkeypatch):
    monkeypatch.setattr(import_views, "MAX_IMPORT_BYTES", 1024 * 1024)
    content = HEADER + "dana@a.example,Dana,Durand,FR,,\n" * 40_000  # about 1.3 MB
    client.force_login(bob)
    monkeypatch.setattr(import_views, "FORM_OVERHEAD_BYTES", 10 * 1024 * 1024)

    response = upload(client, content)

    assert response.status_code == 400
    assert "The file is larger than 1 MB." in response.content.decode()
    assert imports_of(org_a) == []


def test_an_xlsx_list_is_previewed(client, bob, org_a):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Courriel", "Prénom", "Nom", "Pays", "Métier"])
    sheet.append(["dana@a.example", "Dana", "Durand", "France", ""])
    out = io.BytesIO()
    workbook.save(out)
    client.force_login(bob)

    response = client.post(
        PAGE,
        {
            "file": SimpleUploadedFile(
                "list.xlsx",
                out.getvalue(),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        },
    )

    assert response.status_code == 302
    [user_import] = imports_of(org_a)
    assert user_import.file_format == "xlsx"
    assert user_import.created_count == 1
    assert "dana@a.example" in client.get(response["Location"]).content.decode()


def test_the_upload_page_lists_recent_imports(client, bob, org_a, org_b, audit_events):
    mine = previewed(org_a, bob)
    theirs = previewed(org_b, None, "email,first name,last name\nzed@b.example,Zed,Zu\n")
    client.force_login(bob)

    html = client.get(PAGE).content.decode()

    assert f'data-import="{mine.pk}" data-status="previewed"' in html
    assert str(theirs.pk) not in html
    assert bob.full_name in html
    [event] = audit_events(AuditAction.LIST)
    assert event.object_ids == [str(mine.pk)]


# --- Commit, progress, discard ---------------------------------------------------------------


def test_commit_without_valid_only_is_refused_when_rows_have_errors(
    client, bob, org_a, django_capture_on_commit_callbacks
):
    user_import = previewed(org_a, bob)
    client.force_login(bob)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{PAGE}{user_import.pk}/commit/", {})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was imported: 1 row has an error" in html
    assert "Import valid rows only" in html
    assert reload(user_import).status == ImportStatus.PREVIEWED
    assert not people(org_a, "dana@a.example", "eve@a.example")
    assert mail.outbox == []


def test_valid_only_writes_the_valid_rows_and_the_page_shows_done(
    client, bob, org_a, django_capture_on_commit_callbacks
):
    user_import = previewed(org_a, bob)
    client.force_login(bob)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{PAGE}{user_import.pk}/commit/", {"valid_only": "on"})

    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}{user_import.pk}/"
    done = reload(user_import)
    assert done.status == ImportStatus.DONE
    assert done.created_count == 2 and done.error_count == 1
    assert people(org_a, "dana@a.example", "eve@a.example") == {
        "dana@a.example",
        "eve@a.example",
    }
    with tenant_context(org_a):
        assert Invitation.objects.filter(user__email__in=["dana@a.example"]).count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["dana@a.example", "eve@a.example"]
    html = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in html
    assert 'data-count="created">2<' in html
    assert 'data-count="errors">1<' in html
    assert 'data-count="invitations">2<' in html
    assert 'href="/accounts/invitations/"' in html
    assert 'hx-trigger="every' not in html  # finished: no polling
    # Committing again is refused without writing anything.
    again = client.post(f"{PAGE}{user_import.pk}/commit/", {"valid_only": "on"})
    assert again.status_code == 302
    assert reload(user_import).status == ImportStatus.DONE


def test_full_sync_deactivates_members_missing_from_the_list(
    client, bob, alice, org_a, django_capture_on_commit_callbacks
):
    user_import = previewed(org_a, bob, GOOD)
    client.force_login(bob)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{PAGE}{user_import.pk}/commit/", {"full_sync": "on"})

    assert response.status_code == 302
    done = reload(user_import)
    assert done.status == ImportStatus.DONE and done.full_sync
    assert done.deactivated_count == 1
    with tenant_context(org_a):
        assert not User.objects.get(pk=alice.pk).is_active
        assert User.objects.get(pk=bob.pk).is_active  # managers never


def test_discard_drops_the_list_and_nothing_is_imported(client, bob, org_a, audit_events):
    user_import = previewed(org_a, bob)
    client.force_login(bob)

    response = client.post(f"{PAGE}{user_import.pk}/discard/")

    assert response.status_code == 302
    assert response["Location"] == PAGE
    discarded = reload(user_import)
    assert discarded.status == ImportStatus.DISCARDED
    assert not discarded.normalised_file
    assert len(audit_events(AuditAction.IMPORT_DISCARDED)) == 1
    assert not people(org_a, "dana@a.example")
    refused = client.post(f"{PAGE}{user_import.pk}/commit/", {"valid_only": "on"})
    assert refused.status_code == 302
    assert reload(user_import).status == ImportStatus.DISCARDED


def test_the_issues_csv_lists_lines_and_reasons_never_values(client, bob, org_a, audit_events):
    user_import = previewed(org_a, bob)
    client.force_login(bob)

    response = client.get(f"{PAGE}{user_import.pk}/issues.csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    body = response.content.decode()
    lines = body.splitlines()
    assert lines[0] == "line,column,code,reason"
    assert lines[1].startswith("4,email,")
    assert "not-an-email" not in body
    assert PHONE not in body
    assert len(lines) == 2
    assert len(audit_events(AuditAction.DOWNLOAD)) == 1


def test_the_progress_fragment_polls_while_running_and_stops_when_done(client, bob, org_a):
    user_import = previewed(org_a, bob, GOOD)
    with unscoped("test: an import under way"):
        UserImport.objects.filter(pk=user_import.pk).update(
            status=ImportStatus.RUNNING, rows_done=1
        )
    client.force_login(bob)
    url = f"{PAGE}{user_import.pk}/progress/"

    running = client.get(url, HTTP_HX_REQUEST="true")

    assert running.status_code == 200
    html = running.content.decode()
    assert "<html" not in html  # the fragment only
    assert 'hx-trigger="every 2s"' in html
    assert f'hx-get="{url}"' in html
    assert '<progress id="import-progress-bar" max="2" value="1">' in html
    page = client.get(f"{PAGE}{user_import.pk}/").content.decode()
    assert '<div id="import-progress-region" role="status" aria-live="polite">' in page

    with unscoped("test: the import finished"):
        UserImport.objects.filter(pk=user_import.pk).update(
            status=ImportStatus.DONE, rows_done=2, created_count=2
        )
    finished = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in finished
    assert 'value="2"' in finished
    assert 'data-count="created">2<' in finished

    # Without htmx, the page itself.
    assert client.get(url)["Location"] == f"{PAGE}{user_import.pk}/"


def test_a_queued_import_page_polls(client, bob, org_a):
    user_import = previewed(org_a, bob, GOOD)
    with unscoped("test: queued"):
        UserImport.objects.filter(pk=user_import.pk).update(status=ImportStatus.QUEUED)
    client.force_login(bob)

    html = client.get(f"{PAGE}{user_import.pk}/").content.decode()

    assert 'hx-trigger="every 2s"' in html
    assert "Commit the import" not in html


def test_the_page_is_linked_from_the_managers_menu_and_the_staff_console(
    client, bob, alice, csm, org_a, staff_client
):
    client.force_login(bob)
    assert f'href="{PAGE}"' in client.get("/practices/").content.decode()
    client.force_login(alice)
    assert f'href="{PAGE}"' not in client.get("/practices/").content.decode()
    assign(csm, org_a)
    staff = staff_client(csm)
    html = staff.get(f"/staff/organizations/{org_a.slug}/").content.decode()
    assert f'href="{PAGE}org/{org_a.slug}/"' in html


def test_a_csms_import_is_listed_as_grove_staff_never_by_name(
    client, staff_client, csm, bob, org_a
):
    assign(csm, org_a)
    upload(staff_client(csm), GOOD, url=f"{PAGE}org/{org_a.slug}/")
    client.force_login(bob)

    html = client.get(PAGE).content.decode()

    [user_import] = imports_of(org_a)
    assert f'data-import="{user_import.pk}"' in html
    assert "Grove staff" in html
    assert csm.full_name not in html
    assert csm.email not in html


def test_the_page_speaks_french_to_a_french_manager(client, bob, org_a):
    with tenant_context(org_a):
        User.objects.filter(pk=bob.pk).update(language="fr")
    user_import = previewed(org_a, bob)
    client.force_login(bob)

    upload_page = client.get(PAGE).content.decode()
    detail = client.get(f"{PAGE}{user_import.pk}/").content.decode()

    assert "Importer des utilisateurs dans" in upload_page
    assert "Ces colonnes ont été écartées et ne sont pas enregistrées : phone" in detail
    assert "Importer uniquement les lignes valides" in detail


def test_an_oversized_request_is_answered_without_reading_its_body(client, bob, org_a):
    client.force_login(bob)

    # The announced length alone decides (413); read, this empty body would be a 400 (no file).
    response = client.generic(
        "POST",
        PAGE,
        b"",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(import_views.MAX_IMPORT_BYTES + 10 * 1024 * 1024),
    )

    assert response.status_code == 413
    assert "The file is larger than 50 MB." in response.content.decode()
    assert imports_of(org_a) == []


def test_the_option_to_create_missing_job_types_is_passed_on(client, bob, org_a):
    content = "email,first name,last name,job type\ndana@a.example,Dana,Durand,Barista\n"
    client.force_login(bob)

    upload(client, content)
    upload(client, content, create_missing_job_types="on")

    without, with_option = sorted(imports_of(org_a), key=lambda item: item.created_at)
    assert without.error_count == 1 and not without.create_missing_job_types
    assert with_option.error_count == 0 and with_option.create_missing_job_types
    assert with_option.created_count == 1
