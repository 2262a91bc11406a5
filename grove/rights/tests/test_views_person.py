"""The person's pages: their requests, a new one, one request's timeline, their details."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.urls import reverse

from grove.audit.models import AuditAction
from grove.rights.models import DataSubjectRequest, RequestState
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

from .test_views_fixtures import *  # noqa: F403 -- the shared fixtures
from .test_views_fixtures import fresh, rows

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name,args",
    [("rights:mine", []), ("rights:file", []), ("rights:my_details", [])],
)
def test_it_requires_login(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_the_detail_requires_login(client, alice, make_request):
    dsr = make_request(alice)
    response = client.get(reverse("rights:my_request", args=[dsr.pk]))
    assert response.status_code == 302


def test_the_profile_links_to_my_data_requests(client, alice):
    client.force_login(alice)
    response = client.get(reverse("accounts:profile"))
    assert reverse("rights:mine").encode() in response.content
    assert b"My data requests" in response.content


def test_it_lists_only_my_own_requests(client, alice, bob, charlie, make_request):
    mine = make_request(alice, "access")
    bobs = make_request(bob, "erasure")
    charlies = make_request(charlie, "portability")
    client.force_login(alice)
    response = client.get(reverse("rights:mine"))
    assert response.status_code == 200
    body = response.content.decode()
    assert str(mine.pk) in body
    assert str(bobs.pk) not in body and str(charlies.pk) not in body


def test_a_member_files_an_access_request(
    client, alice, events, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("rights:file"), {"request_type": "access"})
    [dsr] = rows(DataSubjectRequest)
    assert response.status_code == 302
    assert response["Location"] == reverse("rights:my_request", args=[dsr.pk])
    assert (dsr.subject_id, dsr.channel, dsr.filed_by_id) == (alice.pk, "profile", alice.pk)
    assert dsr.identity_verified_at is not None
    [filed] = events(AuditAction.REQUEST_FILED)
    assert filed.object_ids == [str(dsr.pk)] and filed.subject_user_id == alice.pk
    assert [m.to for m in mail.outbox] == [["alice@a.example"]]
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "We answer by" in page.content.decode()  # the message with the due date


def test_a_rectification_carries_the_new_values(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("rights:file"),
        {
            "request_type": "rectification",
            "first_name": "Alicia",
            "last_name": "Anders",
            "country": "BE",
            "job_type": str(alice.job_type_id),
        },
    )
    assert response.status_code == 302
    [dsr] = rows(DataSubjectRequest)
    values = {name: value.get("after") for name, value in dsr.rectification.items()}
    assert values == {"first_name": "Alicia", "country": "BE"}
    page = client.get(response["Location"]).content.decode()
    assert "Alicia" in page and "Belgium" in page


def test_a_rectification_without_any_change_is_refused(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("rights:file"),
        {
            "request_type": "rectification",
            "first_name": "Alice",
            "last_name": "Anders",
            "country": "FR",
            "job_type": str(alice.job_type_id),
        },
    )
    assert response.status_code == 400
    assert "they are the same as now" in response.content.decode()
    assert rows(DataSubjectRequest) == []


def test_a_request_without_a_type_is_refused(client, alice):
    client.force_login(alice)
    response = client.post(reverse("rights:file"), {})
    assert response.status_code == 400
    assert b"This field is required" in response.content
    assert rows(DataSubjectRequest) == []


def test_a_second_open_request_of_the_same_type_is_merged(client, alice, make_request):
    existing = make_request(alice, "access", state=RequestState.IN_PROGRESS)
    client.force_login(alice)
    response = client.post(reverse("rights:file"), {"request_type": "access"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("rights:my_request", args=[existing.pk])
    assert "You already had an open request of this type" in response.content.decode()
    open_ones = [d for d in rows(DataSubjectRequest) if d.is_open]
    assert [d.pk for d in open_ones] == [existing.pk]


def test_an_ended_contract_refuses_a_new_request_with_a_clear_message(client, alice, org_a):
    client.force_login(alice)
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_a.pk).update(status="ended")
    response = client.post(reverse("rights:file"), {"request_type": "access"})
    # The person of an ended contract may no longer log in: either way nothing is created.
    assert response.status_code in (302, 400, 404)
    if response.status_code == 400:
        assert "contract has ended" in response.content.decode()
    assert rows(DataSubjectRequest) == []


def test_another_persons_request_and_a_forged_id_are_the_same_logged_404(
    client, alice, bob, charlie, make_request, events
):
    bobs = make_request(bob, "access")
    charlies = make_request(charlie, "access")
    client.force_login(alice)
    answers = [
        client.get(reverse("rights:my_request", args=[target]))
        for target in (bobs.pk, charlies.pk, uuid.uuid4())
    ]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert answers[0].content == answers[1].content == answers[2].content
    assert len(events(AuditAction.ACCESS_DENIED)) >= 3


def test_staff_have_no_person_pages(staff_client, csm, events):
    client = staff_client(csm)
    assert client.get(reverse("rights:mine")).status_code == 404
    assert events(AuditAction.ACCESS_DENIED)


def test_the_timeline_shows_the_steps_and_hides_staff_names(
    client, alice, assigned_csm, make_request
):
    from grove.rights.models import RequestStep

    dsr = make_request(alice, "access", state=RequestState.IN_PROGRESS, handler=assigned_csm)
    with unscoped("test set-up"):
        RequestStep.objects.create(
            organization_id=dsr.organization_id,
            request=dsr,
            actor=alice,
            action=AuditAction.REQUEST_FILED,
            state=RequestState.IDENTITY_VERIFIED,
        )
        RequestStep.objects.create(
            organization_id=dsr.organization_id,
            request=dsr,
            actor=assigned_csm,
            action=AuditAction.REQUEST_STARTED,
            state=RequestState.IN_PROGRESS,
            note="identity confirmed by phone",
        )
    client.force_login(alice)
    body = client.get(reverse("rights:my_request", args=[dsr.pk])).content.decode()
    assert "We received your request" in body and "Our privacy team is handling it" in body
    assert "You" in body and "Grove staff" in body
    assert assigned_csm.email not in body and "identity confirmed by phone" not in body


def test_a_refused_request_states_the_ground_and_the_right_to_complain(client, alice, make_request):
    dsr = make_request(
        alice,
        "erasure",
        state=RequestState.REFUSED,
        refusal_ground="legal_hold",
        refusal_details="A court asked us to keep these records until June.",
    )
    client.force_login(alice)
    body = client.get(reverse("rights:my_request", args=[dsr.pk])).content.decode()
    assert "Data under a legal hold" in body
    assert "A court asked us to keep these records until June." in body
    assert "supervisory authority" in body and "CNIL" in body


def test_a_member_corrects_their_details_where_the_organization_allows_it(client, alice, org_a):
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_a.pk).update(members_may_rectify=True)
    client.force_login(alice)
    response = client.post(
        reverse("rights:my_details"),
        {
            "first_name": "Alicia",
            "last_name": "Anders",
            "country": "BE",
            "job_type": str(alice.job_type_id),
        },
    )
    assert response.status_code == 302
    alice = fresh(alice)
    assert (alice.first_name, str(alice.country)) == ("Alicia", "BE")
    [dsr] = rows(DataSubjectRequest)
    assert dsr.state == RequestState.FULFILLED
    assert dsr.rectification["first_name"]["before"] == "Alice"


def test_correcting_details_is_refused_where_the_organization_does_not_allow_it(
    client, alice, org_a
):
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_a.pk).update(members_may_rectify=False)
    client.force_login(alice)
    page = client.get(reverse("rights:my_details"))
    assert "Ask for a rectification" in page.content.decode()
    response = client.post(
        reverse("rights:my_details"),
        {"first_name": "Mallory", "last_name": "Anders", "country": "", "job_type": ""},
    )
    assert response.status_code == 403
    assert "does not let members change these details" in response.content.decode()
    assert fresh(alice).first_name == "Alice"
    assert rows(DataSubjectRequest) == []


def test_the_pages_follow_the_persons_language(client, alice, make_request):
    from grove.accounts.models import User

    with unscoped("test set-up"):
        User.objects.filter(pk=alice.pk).update(language="fr")
    dsr = make_request(alice, "access", state=RequestState.IN_PROGRESS)
    client.force_login(alice)
    for url in (
        reverse("rights:mine"),
        reverse("rights:file"),
        reverse("rights:my_request", args=[dsr.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert '<html lang="fr">' in response.content.decode()
