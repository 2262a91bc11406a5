"""The staff retention pages: who sees them (404 for everyone else, logged), what they show,
the hold and early-end forms and their refusals, and the access-log events of every view."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from grove.audit.models import AuditAction, AuditEvent
from grove.retention.models import (
    CertificateStatus,
    DeletionCertificate,
    LegalHold,
    PurgeKind,
)
from grove.staff.models import CsmAssignment
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

OVERVIEW = reverse("retention:overview")


def page(org) -> str:
    return reverse("retention:organization", args=[org.slug])


@pytest.fixture
def serving_csm(csm, org_a):
    with unscoped("test set-up"):
        CsmAssignment.objects.create(organization=org_a, csm=csm)
    return csm


def events(action: str) -> list[AuditEvent]:
    with unscoped("test: read the access log"):
        return list(AuditEvent.objects.filter(action=action).order_by("id"))


def make_hold(org, officer, *, until=None, user=None, released=False) -> LegalHold:
    now = timezone.now()
    hold = LegalHold(
        organization=org,
        user=user,
        reason="Litigation LIT-7 (court order)",
        until=until or timezone.localdate() + datetime.timedelta(days=30),
        placed_by=officer,
        released_at=now if released else None,
        released_by=officer if released else None,
        release_reason="Case closed" if released else "",
    )
    with unscoped("test set-up"):
        hold.save()
    return hold


def make_certificate(org, **fields) -> DeletionCertificate:
    from grove.retention.certificates import sign

    values = {
        "organization": org,
        "kind": PurgeKind.ORGANIZATION_DATA,
        "status": CertificateStatus.COMPLETED,
        "rule": "contract_end+30d",
        "due_on": timezone.localdate(),
        "completed_at": timezone.now(),
        "run_by": "scheduler",
        "total_rows": 12,
        "files_deleted": 2,
        "ids_digest": "ab" * 32,
        "vacuum": {"vacuumed": ["practices_practice"], "skipped": []},
        "progress": {
            "entries": {
                "practices.Practice": {
                    "model": "practices.Practice",
                    "table": "practices_practice",
                    "category": ["content"],
                    "action": "deleted",
                    "rows": 12,
                    "acc": "cd" * 32,
                }
            }
        },
    }
    values.update(fields)
    certificate = DeletionCertificate(**values)
    if certificate.status == CertificateStatus.COMPLETED:
        certificate.signature = sign(certificate)
    with unscoped("test set-up"):
        certificate.save()
    return certificate


# --- Who sees the pages -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        lambda org: OVERVIEW,
        lambda org: page(org),
        lambda org: reverse("retention:dry_run", args=[org.slug]),
    ],
)
def test_login_is_required(client, org_a, url):
    response = client.get(url(org_a))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_technical_staff_get_a_logged_404(staff_client, tech, org_a):
    client = staff_client(tech)
    assert client.get(OVERVIEW).status_code == 404
    assert client.get(page(org_a)).status_code == 404
    denied = events(AuditAction.ACCESS_DENIED)
    assert len(denied) == 2
    assert all(e.actor_id == tech.pk for e in denied)


def test_client_users_get_a_404(client, bob, org_a):
    client.force_login(bob)
    assert client.get(OVERVIEW).status_code == 404
    assert client.get(page(org_a)).status_code == 404


def test_a_csm_sees_only_the_organizations_they_serve(staff_client, serving_csm, org_a, org_b):
    client = staff_client(serving_csm)
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    assert [row.organization for row in response.context["rows"]] == [org_a]
    assert client.get(page(org_a)).status_code == 200
    assert client.get(page(org_b)).status_code == 404
    [denied] = events(AuditAction.ACCESS_DENIED)
    assert denied.organization_id == org_b.pk


def test_a_csm_whose_assignment_ended_gets_a_404(staff_client, csm, org_a):
    with unscoped("test set-up"):
        CsmAssignment.objects.create(organization=org_a, csm=csm, ended_at=timezone.now())
    assert staff_client(csm).get(page(org_a)).status_code == 404


@pytest.mark.parametrize("role", ["security_officer", "security_manager"])
def test_officers_and_security_managers_see_every_organization(
    request, staff_client, role, org_a, org_b
):
    client = staff_client(request.getfixturevalue(role))
    response = client.get(OVERVIEW)
    assert {row.organization for row in response.context["rows"]} == {org_a, org_b}
    assert client.get(page(org_b)).status_code == 200


def test_an_unknown_slug_is_the_same_logged_404(staff_client, security_officer):
    response = staff_client(security_officer).get(page(Organization(slug="no-such-org")))
    assert response.status_code == 404
    assert len(events(AuditAction.ACCESS_DENIED)) == 1


# --- The overview -----------------------------------------------------------------------


def test_the_overview_puts_upcoming_purges_first_and_records_a_list_event(
    staff_client, security_officer, org_a, org_b
):
    today = timezone.localdate()
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_b.pk).update(
            status=Organization.Status.ENDED,
            contract_end=today - datetime.timedelta(days=5),
            contract_start=today - datetime.timedelta(days=400),
            ended_at=timezone.now(),
        )
        tomb = Organization.objects.create(
            name="Gone Ltd",
            slug="gone",
            contract_start=today - datetime.timedelta(days=500),
            contract_end=today - datetime.timedelta(days=200),
            status=Organization.Status.TOMBSTONE,
            data_region="eu-west",
        )
    make_hold(org_b, security_officer)
    response = staff_client(security_officer).get(OVERVIEW)
    rows = response.context["rows"]
    assert [row.organization.slug for row in rows] == ["org-b", "org-a", "gone"]
    assert rows[0].next_purge_on == today - datetime.timedelta(days=5) + datetime.timedelta(days=30)
    assert len(rows[0].holds_in_force) == 1
    assert rows[2].next_purge is None
    body = response.content.decode()
    assert "1 legal hold in force" in body
    [listed] = events(AuditAction.LIST)
    assert listed.organization_id is None
    assert set(listed.object_ids) == {str(org_a.pk), str(org_b.pk), str(tomb.pk)}


# --- The organization's page ------------------------------------------------------------


def test_the_page_shows_dates_holds_and_certificates_and_records_a_view(
    staff_client, serving_csm, security_officer, org_a, alice
):
    make_hold(org_a, security_officer, user=alice)
    make_hold(org_a, security_officer, released=True)
    certificate = make_certificate(org_a)
    response = staff_client(serving_csm).get(page(org_a))
    assert response.status_code == 200
    body = response.content.decode()
    dates = response.context["dates"]
    assert dates.data_purge == org_a.contract_end + datetime.timedelta(days=30)
    assert dates.log_purge == org_a.contract_end + datetime.timedelta(days=90)
    assert dates.data_purge.strftime("%Y-%m-%d") in body
    assert "Hold on one member: Alice Anders" in body
    assert "Litigation LIT-7" in body
    assert "Case closed" in body
    assert reverse("retention:certificate", args=[certificate.pk]) in body
    # A CSM reads the holds; only a security officer gets the forms.
    assert response.context["hold_form"] is None
    assert "Release the hold" not in body
    assert response.context["end_form"] is not None  # the CSM serving it may end it early
    [viewed] = events(AuditAction.VIEW)
    assert viewed.organization_id == org_a.pk
    assert viewed.object_ids == [str(org_a.pk)]
    assert viewed.actor_id == serving_csm.pk


def test_a_security_manager_reads_but_gets_no_form(staff_client, security_manager, org_a):
    response = staff_client(security_manager).get(page(org_a))
    assert response.status_code == 200
    assert response.context["hold_form"] is None
    assert response.context["end_form"] is None


def test_a_tombstone_view_goes_to_the_operator_chain(staff_client, security_officer, org_a):
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_a.pk).update(status=Organization.Status.TOMBSTONE)
    response = staff_client(security_officer).get(page(org_a))
    assert response.status_code == 200
    assert "only the tombstone remains" in response.content.decode()
    assert response.context["hold_form"] is None  # nothing is left to hold
    assert response.context["end_form"] is None
    [viewed] = events(AuditAction.VIEW)
    assert viewed.organization_id is None
    assert viewed.details["organization"] == str(org_a.pk)


# --- Holds ------------------------------------------------------------------------------


def test_a_security_officer_places_an_organization_hold(staff_client, security_officer, org_a):
    until = timezone.localdate() + datetime.timedelta(days=60)
    response = staff_client(security_officer).post(
        reverse("retention:hold_place", args=[org_a.slug]),
        {"hold-scope": "organization", "hold-until": until.isoformat(), "hold-reason": "LIT-9"},
    )
    assert response.status_code == 302
    with unscoped("test: read"):
        [hold] = LegalHold.objects.all()
    assert (hold.organization_id, hold.user_id, hold.until, hold.reason) == (
        org_a.pk,
        None,
        until,
        "LIT-9",
    )
    assert hold.placed_by_id == security_officer.pk
    assert len(events(AuditAction.HOLD_PLACED)) == 1


def test_a_hold_on_one_member_names_them_by_email(staff_client, security_officer, org_a, alice):
    until = timezone.localdate() + datetime.timedelta(days=10)
    response = staff_client(security_officer).post(
        reverse("retention:hold_place", args=[org_a.slug]),
        {
            "hold-scope": "user",
            "hold-member_email": "ALICE@a.example",
            "hold-until": until.isoformat(),
            "hold-reason": "Employment tribunal",
        },
    )
    assert response.status_code == 302
    with unscoped("test: read"):
        assert LegalHold.objects.get().user_id == alice.pk


def test_a_member_of_another_organization_cannot_be_held_here(
    staff_client, security_officer, org_a, charlie
):
    response = staff_client(security_officer).post(
        reverse("retention:hold_place", args=[org_a.slug]),
        {
            "hold-scope": "user",
            "hold-member_email": "charlie@b.example",
            "hold-until": timezone.localdate().isoformat(),
            "hold-reason": "x",
        },
    )
    assert response.status_code == 400
    assert "No member of this organization has this email." in response.content.decode()
    with unscoped("test: read"):
        assert not LegalHold.objects.exists()


def test_the_hold_form_refuses_a_past_date_and_an_empty_reason(
    staff_client, security_officer, org_a
):
    response = staff_client(security_officer).post(
        reverse("retention:hold_place", args=[org_a.slug]),
        {
            "hold-scope": "organization",
            "hold-until": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
            "hold-reason": "   ",
        },
    )
    assert response.status_code == 400
    form = response.context["hold_form"]
    assert set(form.errors) == {"until", "reason"}
    with unscoped("test: read"):
        assert not LegalHold.objects.exists()


def test_a_csm_cannot_place_a_hold_and_is_told_why(staff_client, serving_csm, org_a):
    response = staff_client(serving_csm).post(
        reverse("retention:hold_place", args=[org_a.slug]),
        {
            "hold-scope": "organization",
            "hold-until": timezone.localdate().isoformat(),
            "hold-reason": "x",
        },
    )
    assert response.status_code == 403
    assert "security officer" in response.content.decode()
    with unscoped("test: read"):
        assert not LegalHold.objects.exists()
    [denied] = events(AuditAction.ACCESS_DENIED)
    assert denied.actor_id == serving_csm.pk
    assert denied.details["attempted"] == "hold.place"


def test_a_csm_cannot_place_a_hold_on_an_organization_they_do_not_serve(
    staff_client, serving_csm, org_b
):
    response = staff_client(serving_csm).post(
        reverse("retention:hold_place", args=[org_b.slug]),
        {"hold-scope": "organization", "hold-until": "2099-01-01", "hold-reason": "x"},
    )
    assert response.status_code == 404


def test_a_security_officer_releases_a_hold(staff_client, security_officer, org_a):
    hold = make_hold(org_a, security_officer)
    response = staff_client(security_officer).post(
        reverse("retention:hold_release", args=[org_a.slug, hold.pk]),
        {f"release-{hold.pk}-reason": "Settled"},
    )
    assert response.status_code == 302
    with unscoped("test: read"):
        hold.refresh_from_db()
    assert hold.released_at is not None
    assert hold.released_by_id == security_officer.pk
    assert hold.release_reason == "Settled"
    assert len(events(AuditAction.HOLD_RELEASED)) == 1


def test_releasing_needs_a_reason(staff_client, security_officer, org_a):
    hold = make_hold(org_a, security_officer)
    response = staff_client(security_officer).post(
        reverse("retention:hold_release", args=[org_a.slug, hold.pk]),
        {f"release-{hold.pk}-reason": ""},
    )
    assert response.status_code == 400
    with unscoped("test: read"):
        hold.refresh_from_db()
    assert hold.released_at is None


def test_releasing_a_released_hold_shows_the_actions_message(staff_client, security_officer, org_a):
    hold = make_hold(org_a, security_officer, released=True)
    response = staff_client(security_officer).post(
        reverse("retention:hold_release", args=[org_a.slug, hold.pk]),
        {f"release-{hold.pk}-reason": "again"},
    )
    assert response.status_code == 400
    assert "already been released" in response.content.decode()


def test_a_hold_of_another_organization_or_a_forged_id_is_a_404(
    staff_client, security_officer, org_a, org_b
):
    hold_b = make_hold(org_b, security_officer)
    client = staff_client(security_officer)
    for hold_id in (hold_b.pk, uuid.uuid4()):
        response = client.post(
            reverse("retention:hold_release", args=[org_a.slug, hold_id]),
            {f"release-{hold_id}-reason": "x"},
        )
        assert response.status_code == 404
    with unscoped("test: read"):
        hold_b.refresh_from_db()
    assert hold_b.released_at is None
    assert len(events(AuditAction.ACCESS_DENIED)) == 2


def test_a_csm_cannot_release_a_hold(staff_client, serving_csm, security_officer, org_a):
    hold = make_hold(org_a, security_officer)
    response = staff_client(serving_csm).post(
        reverse("retention:hold_release", args=[org_a.slug, hold.pk]),
        {f"release-{hold.pk}-reason": "x"},
    )
    assert response.status_code == 403
    with unscoped("test: read"):
        hold.refresh_from_db()
    assert hold.released_at is None
    assert len(events(AuditAction.ACCESS_DENIED)) == 1


# --- Ending a contract early ------------------------------------------------------------


def end_early(client, org, *, name, reason="Client went bankrupt (ticket OPS-12)"):
    return client.post(
        reverse("retention:end_early", args=[org.slug]),
        {"end-reason": reason, "end-confirm_name": name},
    )


def test_the_serving_csm_ends_the_contract_early(staff_client, serving_csm, org_a):
    response = end_early(staff_client(serving_csm), org_a, name="organization a")
    assert response.status_code == 302
    with unscoped("test: read"):
        org_a.refresh_from_db()
    assert org_a.status == Organization.Status.ENDED
    assert org_a.contract_end == timezone.localdate()
    assert org_a.end_reason == Organization.EndReason.ENDED_EARLY
    assert len(events(AuditAction.CONTRACT_ENDED)) == 1
    # The reason shows on the organization's timeline (from its note, not from the log).
    page = staff_client(serving_csm).get(response.url)
    assert "Client went bankrupt (ticket OPS-12)" in page.content.decode()


def test_the_wrong_name_changes_nothing(staff_client, security_officer, org_a):
    response = end_early(staff_client(security_officer), org_a, name="Organization B")
    assert response.status_code == 400
    assert "not the organization&#x27;s name" in response.content.decode()
    with unscoped("test: read"):
        org_a.refresh_from_db()
    assert org_a.status == Organization.Status.ACTIVE
    assert not events(AuditAction.CONTRACT_ENDED)


def test_a_reason_is_required(staff_client, security_officer, org_a):
    response = end_early(staff_client(security_officer), org_a, name="Organization A", reason="")
    assert response.status_code == 400
    assert "reason" in response.context["end_form"].errors


def test_a_security_manager_cannot_end_a_contract(staff_client, security_manager, org_a):
    response = end_early(staff_client(security_manager), org_a, name="Organization A")
    assert response.status_code == 403
    with unscoped("test: read"):
        org_a.refresh_from_db()
    assert org_a.status == Organization.Status.ACTIVE
    assert len(events(AuditAction.ACCESS_DENIED)) == 1


def test_an_ended_contract_cannot_end_again(staff_client, security_officer, org_a):
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_a.pk).update(status=Organization.Status.ENDED)
    client = staff_client(security_officer)
    assert client.get(page(org_a)).context["end_form"] is None
    response = end_early(client, org_a, name="Organization A")
    assert response.status_code == 400
    assert "already ended" in response.content.decode()


# --- Certificates -----------------------------------------------------------------------


def test_the_certificate_page_shows_counts_and_a_valid_signature(staff_client, serving_csm, org_a):
    certificate = make_certificate(org_a)
    response = staff_client(serving_csm).get(
        reverse("retention:certificate", args=[certificate.pk])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Signature valid" in body
    assert "practices.Practice" in body
    assert "practices_practice" in body  # the vacuum
    [viewed] = events(AuditAction.VIEW)
    assert viewed.object_type == "deletion_certificate"
    assert viewed.object_ids == [str(certificate.pk)]


def test_a_tampered_certificate_is_shown_not_valid(staff_client, security_officer, org_a):
    certificate = make_certificate(org_a)
    with unscoped("test: tamper"):
        DeletionCertificate.objects.filter(pk=certificate.pk).update(total_rows=11)
    response = staff_client(security_officer).get(
        reverse("retention:certificate", args=[certificate.pk])
    )
    assert "Signature NOT VALID" in response.content.decode()


def test_a_running_purge_is_shown_in_progress(staff_client, security_officer, org_a):
    certificate = make_certificate(org_a, status=CertificateStatus.RUNNING, completed_at=None)
    response = staff_client(security_officer).get(
        reverse("retention:certificate", args=[certificate.pk])
    )
    body = response.content.decode()
    assert "still in progress" in body
    assert "NOT VALID" not in body


def test_the_certificate_downloads_as_json(staff_client, security_officer, org_a):
    from grove.retention.certificates import certificate_document

    certificate = make_certificate(org_a)
    response = staff_client(security_officer).get(
        reverse("retention:certificate_json", args=[certificate.pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    document = json.loads(response.content)
    assert document["signature"] == certificate.signature
    assert document == json.loads(json.dumps(certificate_document(certificate), default=str))
    [downloaded] = events(AuditAction.DOWNLOAD)
    assert downloaded.object_ids == [str(certificate.pk)]


def test_certificates_of_other_organizations_and_forged_ids_are_404(
    staff_client, serving_csm, tech, org_b
):
    certificate = make_certificate(org_b)
    client = staff_client(serving_csm)
    for certificate_id in (certificate.pk, uuid.uuid4()):
        assert (
            client.get(reverse("retention:certificate", args=[certificate_id])).status_code == 404
        )
        assert (
            client.get(reverse("retention:certificate_json", args=[certificate_id])).status_code
            == 404
        )
    assert len(events(AuditAction.ACCESS_DENIED)) == 4
    assert (
        staff_client(tech).get(reverse("retention:certificate", args=[certificate.pk])).status_code
        == 404
    )


# --- The next purge's dry run -----------------------------------------------------------


def test_the_dry_run_counts_what_the_next_purge_would_delete_and_changes_nothing(
    staff_client, serving_csm, org_a, alice, bob
):
    from grove.accounts.models import User

    client = staff_client(serving_csm)
    url = reverse("retention:dry_run", args=[org_a.slug])
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.content.decode()  # the fragment htmx swaps in
    rows = {row["model"]: row for row in response.context["rows"]}
    assert any(model.endswith("User") for model in rows), rows
    assert response.context["total"] == sum(row["rows"] for row in rows.values())
    with unscoped("test: read"):
        assert User.objects.filter(organization=org_a, erased_at__isnull=True).count() == 2
    # Without htmx: the full page (the link's fallback).
    full = client.get(url)
    assert "<html" in full.content.decode()
    assert [e.details["page"] for e in events(AuditAction.VIEW)] == [
        "retention.dry_run",
        "retention.dry_run",
    ]


def test_the_dry_run_of_another_organization_is_a_404(staff_client, serving_csm, org_b):
    response = staff_client(serving_csm).get(reverse("retention:dry_run", args=[org_b.slug]))
    assert response.status_code == 404


def test_the_staff_console_links_to_the_retention_pages(staff_client, serving_csm, tech, org_a):
    client = staff_client(serving_csm)
    assert OVERVIEW in client.get(reverse("staff:home")).content.decode()
    organization_page = client.get(reverse("staff:organization", args=[org_a.slug]))
    assert page(org_a) in organization_page.content.decode()
    assert OVERVIEW not in staff_client(tech).get(reverse("staff:home")).content.decode()


def test_the_pages_render_in_french(staff_client, security_officer, org_a):
    make_hold(org_a, security_officer)
    certificate = make_certificate(org_a)
    client = staff_client(security_officer)
    for url in (OVERVIEW, page(org_a), reverse("retention:certificate", args=[certificate.pk])):
        response = client.get(url, headers={"Accept-Language": "fr"})
        assert response.status_code == 200
        assert '<html lang="fr">' in response.content.decode()


def test_an_organization_slugged_like_a_retention_path_keeps_all_its_pages(
    client, security_officer, org_a
):
    from django.urls import resolve, reverse

    from grove.retention import export_views, views

    for slug in ("export", "certificates"):
        for name, view in (
            ("organization", views.organization),
            ("dry_run", views.dry_run),
            ("end_early", views.end_early),
            ("hold_place", views.hold_place),
        ):
            assert resolve(reverse(f"retention:{name}", args=[slug])).func == view
    token_url = reverse("retention:export_download", args=["dry-run"])
    assert resolve(token_url).func == export_views.export_download_view
