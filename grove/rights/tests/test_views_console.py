"""The console: CSMs and security officers handle requests (the allowed steps as forms),
client managers follow their own organization's, read-only. Overdue first; another
organization's request and a forged id are the same logged 404."""

from __future__ import annotations

import datetime
import uuid

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from grove.audit.models import AuditAction
from grove.rights.models import DataSubjectRequest, PersonalDataExport, RequestState

from .test_views_fixtures import *  # noqa: F403 -- the shared fixtures
from .test_views_fixtures import HTMX, fresh, rows

pytestmark = pytest.mark.django_db


def _step(client, dsr, step, data=None, capture=None):
    url = reverse("rights:console_step", args=[dsr.pk, step])
    if capture is None:
        return client.post(url, data or {})
    with capture(execute=True):
        return client.post(url, data or {})


# --- Who may open the console --------------------------------------------------------------


def test_the_console_requires_login(client):
    response = client.get(reverse("rights:console"))
    assert response.status_code == 302


@pytest.mark.parametrize("who", ["alice", "tech", "security_manager"])
def test_members_and_other_staff_get_the_logged_404(request, client, staff_client, who, events):
    user = request.getfixturevalue(who)
    if user.staff_role:
        client = staff_client(user)
    else:
        client.force_login(user)
    assert client.get(reverse("rights:console")).status_code == 404
    assert client.get(reverse("rights:console_record")).status_code == 404
    assert events(AuditAction.ACCESS_DENIED)


def test_a_csm_sees_their_organizations_requests_overdue_first(
    staff_client, assigned_csm, alice, bob, charlie, make_request, events
):
    now = timezone.now()
    due_later = make_request(alice, "access", received_at=now - datetime.timedelta(days=3))
    overdue = make_request(bob, "erasure", received_at=now - relativedelta(months=1, days=4))
    other_org = make_request(charlie, "access")
    client = staff_client(assigned_csm)
    response = client.get(reverse("rights:console"))
    assert response.status_code == 200
    body = response.content.decode()
    assert str(other_org.pk) not in body
    assert body.index(str(overdue.pk)) < body.index(str(due_later.pk))
    assert "1 request is overdue" in body
    assert "Overdue by 4 days" in body
    assert "is-overdue" in body
    [listed] = events(AuditAction.LIST)
    assert sorted(listed.object_ids) == sorted([str(overdue.pk), str(due_later.pk)])


def test_the_state_filter_answers_htmx_with_the_list_only(
    staff_client, assigned_csm, alice, bob, make_request
):
    received = make_request(alice, "access", state=RequestState.RECEIVED)
    in_progress = make_request(bob, "portability", state=RequestState.IN_PROGRESS)
    client = staff_client(assigned_csm)
    response = client.get(reverse("rights:console"), {"state": "received"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="request-list"' in body
    assert str(received.pk) in body and str(in_progress.pk) not in body


def test_closed_requests_show_only_when_asked(staff_client, assigned_csm, alice, make_request):
    closed = make_request(alice, "access", state=RequestState.FULFILLED, closed_at=timezone.now())
    client = staff_client(assigned_csm)
    assert str(closed.pk) not in client.get(reverse("rights:console")).content.decode()
    every = client.get(reverse("rights:console"), {"state": "all"}).content.decode()
    assert str(closed.pk) in every


def test_the_officer_sees_every_organization(
    staff_client, security_officer, alice, charlie, make_request
):
    mine_a, mine_b = make_request(alice), make_request(charlie)
    body = staff_client(security_officer).get(reverse("rights:console")).content.decode()
    assert str(mine_a.pk) in body and str(mine_b.pk) in body


def test_a_manager_follows_their_organization_read_only(
    client, bob, alice, charlie, make_request, events
):
    ours = make_request(alice, "erasure", state=RequestState.IN_PROGRESS)
    theirs = make_request(charlie, "erasure")
    client.force_login(bob)
    body = client.get(reverse("rights:console")).content.decode()
    assert str(ours.pk) in body and str(theirs.pk) not in body
    assert "Record a request" not in body
    detail = client.get(reverse("rights:console_detail", args=[ours.pk]))
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "Alice Anders" in page
    assert "alice@a.example" not in page
    assert "Next steps" not in page and f"/rights/console/{ours.pk}/" not in page
    assert client.get(reverse("rights:console_detail", args=[theirs.pk])).status_code == 404
    # A step, even typed by hand, is refused.
    assert _step(client, ours, "start").status_code == 404
    assert fresh(ours).state == RequestState.IN_PROGRESS
    assert events(AuditAction.VIEW)


def test_another_organizations_request_and_a_forged_id_are_the_same_logged_404(
    staff_client, assigned_csm, charlie, make_request, events
):
    theirs = make_request(charlie, "access")
    client = staff_client(assigned_csm)
    answers = [
        client.get(reverse("rights:console_detail", args=[pk])) for pk in (theirs.pk, uuid.uuid4())
    ]
    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].content == answers[1].content
    assert _step(client, theirs, "start").status_code == 404
    assert fresh(theirs).state == RequestState.IN_PROGRESS
    assert len(events(AuditAction.ACCESS_DENIED)) >= 3


# --- Recording a request -------------------------------------------------------------------


def test_a_csm_records_a_request_received_by_phone(
    staff_client, assigned_csm, alice, org_a, events, django_capture_on_commit_callbacks
):
    client = staff_client(assigned_csm)
    form = client.get(reverse("rights:console_record")).content.decode()
    assert "Organization A" in form and "Organization B" not in form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("rights:console_record"),
            {
                "organization": str(org_a.pk),
                "email": "ALICE@a.example",
                "request_type": "erasure",
                "channel": "phone",
            },
        )
    [dsr] = rows(DataSubjectRequest)
    assert response.status_code == 302
    assert response["Location"] == reverse("rights:console_detail", args=[dsr.pk])
    assert (dsr.subject_id, dsr.channel, dsr.filed_by_id, dsr.state) == (
        alice.pk,
        "phone",
        assigned_csm.pk,
        RequestState.RECEIVED,
    )
    assert [m.to for m in mail.outbox] == [["alice@a.example"]]
    assert events(AuditAction.REQUEST_FILED)


def test_recording_refuses_an_unknown_person_and_an_organization_not_served(
    staff_client, assigned_csm, org_a, org_b, charlie
):
    client = staff_client(assigned_csm)
    unknown = client.post(
        reverse("rights:console_record"),
        {
            "organization": str(org_a.pk),
            "email": "charlie@b.example",  # a user, but of another organization
            "request_type": "access",
            "channel": "mail",
        },
    )
    assert unknown.status_code == 400
    assert "No active user of this organization has this email" in unknown.content.decode()
    not_served = client.post(
        reverse("rights:console_record"),
        {
            "organization": str(org_b.pk),
            "email": "charlie@b.example",
            "request_type": "access",
            "channel": "mail",
        },
    )
    assert not_served.status_code == 400
    assert "Select a valid choice" in not_served.content.decode()
    assert rows(DataSubjectRequest) == []


def test_a_recorded_rectification_names_the_job_type(staff_client, assigned_csm, alice, org_a):
    client = staff_client(assigned_csm)
    response = client.post(
        reverse("rights:console_record"),
        {
            "organization": str(org_a.pk),
            "email": "alice@a.example",
            "request_type": "rectification",
            "channel": "mail",
            "last_name": "Andersen",
            "job_type": "store STAFF",
        },
    )
    assert response.status_code == 302
    [dsr] = rows(DataSubjectRequest)
    values = {name: value["after"] for name, value in dsr.rectification.items()}
    assert values == {"last_name": "Andersen", "job_type": str(alice.job_type_id)}
    missing = client.post(
        reverse("rights:console_record"),
        {
            "organization": str(org_a.pk),
            "email": "alice@a.example",
            "request_type": "rectification",
            "channel": "mail",
            "job_type": "Astronaut",
        },
    )
    assert missing.status_code == 400
    assert "no job type of that name" in missing.content.decode()


# --- The steps -----------------------------------------------------------------------------


def test_a_csm_verifies_takes_and_fulfils_an_access_request(
    staff_client, assigned_csm, alice, make_request, events, django_capture_on_commit_callbacks
):
    dsr = make_request(alice, "access", state=RequestState.RECEIVED, channel="mail")
    client = staff_client(assigned_csm)
    page = client.get(reverse("rights:console_detail", args=[dsr.pk])).content.decode()
    assert "Confirm the identity" in page and "Fulfil the request" not in page
    refused = _step(client, dsr, "verify", {"note": ""})
    assert refused.status_code == 400 and "This field is required" in refused.content.decode()
    assert fresh(dsr).state == RequestState.RECEIVED
    verified = _step(client, dsr, "verify", {"note": "Called back on the client's number"})
    assert verified.status_code == 302
    assert fresh(dsr).state == RequestState.IDENTITY_VERIFIED
    assert _step(client, dsr, "start").status_code == 302
    assert (fresh(dsr).state, fresh(dsr).handler_id) == (RequestState.IN_PROGRESS, assigned_csm.pk)
    page = client.get(reverse("rights:console_detail", args=[dsr.pk])).content.decode()
    assert "Fulfil the request" in page and "Called back on the client" in page
    mail.outbox.clear()
    done = _step(client, dsr, "fulfil", capture=django_capture_on_commit_callbacks)
    assert done.status_code == 302
    assert fresh(dsr).state == RequestState.FULFILLED
    [export] = rows(PersonalDataExport)
    assert export.subject_id == alice.pk
    [message] = mail.outbox
    assert message.to == ["alice@a.example"] and "/rights/exports/" in message.body
    assert events(AuditAction.REQUEST_FULFILLED)


def test_a_step_from_the_wrong_state_is_refused_with_a_message(
    staff_client, assigned_csm, alice, make_request
):
    dsr = make_request(alice, "access", state=RequestState.RECEIVED, channel="mail")
    response = _step(staff_client(assigned_csm), dsr, "fulfil")
    assert response.status_code == 409
    assert "not possible in the request" in response.content.decode()
    assert fresh(dsr).state == RequestState.RECEIVED


def test_a_csm_cannot_decide_and_the_officer_approves_an_erasure(
    staff_client, assigned_csm, security_officer, alice, bob, make_request
):
    dsr = make_request(alice, "erasure", state=RequestState.IN_PROGRESS, handler=assigned_csm)
    client = staff_client(assigned_csm)
    page = client.get(reverse("rights:console_detail", args=[dsr.pk])).content.decode()
    assert "What the erasure would remove" in page and "Ask for approval" in page
    assert "Erase now" not in page
    assert _step(client, dsr, "ask-approval").status_code == 302
    assert fresh(dsr).state == RequestState.AWAITING_APPROVAL
    page = client.get(reverse("rights:console_detail", args=[dsr.pk])).content.decode()
    assert "Waiting for the security officer" in page and 'value="approve"' not in page
    refused = _step(client, dsr, "decide", {"decision": "approve"})
    assert refused.status_code == 409
    assert "Only the security officer" in refused.content.decode()
    assert fresh(dsr).state == RequestState.AWAITING_APPROVAL
    officer = staff_client(security_officer)
    assert _step(officer, dsr, "decide", {"decision": "approve"}).status_code == 302
    assert fresh(dsr).state == RequestState.APPROVED
    assert fresh(dsr).decided_by_id == security_officer.pk


def test_the_last_manager_needs_a_successor_before_approval(
    staff_client, assigned_csm, alice, bob, make_request
):
    dsr = make_request(bob, "erasure", state=RequestState.IN_PROGRESS)
    client = staff_client(assigned_csm)
    page = client.get(reverse("rights:console_detail", args=[dsr.pk])).content.decode()
    assert "last manager" in page and "Who becomes manager instead" in page
    missing = _step(client, dsr, "ask-approval", {"successor_manager": ""})
    assert missing.status_code == 400
    assert "choose who takes over" in missing.content.decode()
    assert fresh(dsr).state == RequestState.IN_PROGRESS
    chosen = _step(client, dsr, "ask-approval", {"successor_manager": str(alice.pk)})
    assert chosen.status_code == 302
    dsr = fresh(dsr)
    assert (dsr.state, dsr.successor_manager_id) == (RequestState.AWAITING_APPROVAL, alice.pk)


def test_a_proposed_refusal_goes_to_the_officer_who_refuses(
    staff_client,
    assigned_csm,
    security_officer,
    alice,
    make_request,
    django_capture_on_commit_callbacks,
):
    dsr = make_request(alice, "erasure", state=RequestState.IN_PROGRESS)
    client = staff_client(assigned_csm)
    incomplete = _step(client, dsr, "propose-refusal", {"refusal_ground": "legal_hold"})
    assert incomplete.status_code == 400
    proposed = _step(
        client,
        dsr,
        "propose-refusal",
        {"refusal_ground": "legal_hold", "refusal_details": "Litigation hold until June."},
    )
    assert proposed.status_code == 302
    assert fresh(dsr).state == RequestState.AWAITING_APPROVAL
    officer = staff_client(security_officer)
    page = officer.get(reverse("rights:console_detail", args=[dsr.pk])).content.decode()
    assert "Decide on the proposed refusal" in page and "Data under a legal hold" in page
    mail.outbox.clear()
    decided = _step(
        officer, dsr, "decide", {"decision": "approve"}, capture=django_capture_on_commit_callbacks
    )
    assert decided.status_code == 302
    assert fresh(dsr).state == RequestState.REFUSED
    [message] = [m for m in mail.outbox if m.to == ["alice@a.example"]]
    assert "Litigation hold until June." in message.body


def test_the_officer_refuses_directly_with_a_ground(
    staff_client, security_officer, alice, make_request
):
    dsr = make_request(alice, "access", state=RequestState.IDENTITY_VERIFIED)
    officer = staff_client(security_officer)
    response = _step(
        officer,
        dsr,
        "refuse",
        {
            "officer-refusal_ground": "manifestly_unfounded",
            "officer-refusal_details": "The same request every day for a month.",
        },
    )
    assert response.status_code == 302
    dsr = fresh(dsr)
    assert (dsr.state, dsr.refusal_ground) == (RequestState.REFUSED, "manifestly_unfounded")


def test_a_csm_extends_with_a_reason_within_the_first_month(
    staff_client, assigned_csm, alice, make_request, django_capture_on_commit_callbacks
):
    dsr = make_request(alice, "access", state=RequestState.IN_PROGRESS)
    due = dsr.due_at
    client = staff_client(assigned_csm)
    no_reason = _step(client, dsr, "extend", {"months": "2", "reason": ""})
    assert no_reason.status_code == 400
    mail.outbox.clear()
    extended = _step(
        client,
        dsr,
        "extend",
        {"months": "2", "reason": "Thousands of records across three years."},
        capture=django_capture_on_commit_callbacks,
    )
    assert extended.status_code == 302
    dsr = fresh(dsr)
    assert dsr.due_at == due + relativedelta(months=2)
    assert [m.to for m in mail.outbox] == [["alice@a.example"]]
    page = client.get(reverse("rights:console_detail", args=[dsr.pk])).content.decode()
    assert "Extend the deadline" not in page  # once


def test_an_unknown_step_is_a_404(staff_client, assigned_csm, alice, make_request):
    dsr = make_request(alice)
    url = reverse("rights:console_step", args=[dsr.pk, "approve-everything"])
    assert staff_client(assigned_csm).post(url).status_code == 404


def test_a_step_is_a_post(staff_client, assigned_csm, alice, make_request):
    dsr = make_request(alice)
    url = reverse("rights:console_step", args=[dsr.pk, "start"])
    assert staff_client(assigned_csm).get(url).status_code == 405


def test_an_approved_erasure_is_carried_out_only_once_confirmed(
    staff_client,
    assigned_csm,
    security_officer,
    alice,
    make_request,
    django_capture_on_commit_callbacks,
):
    dsr = make_request(
        alice,
        "erasure",
        state=RequestState.APPROVED,
        handler=assigned_csm,
        decided_by=security_officer,
        decided_at=timezone.now(),
    )
    client = staff_client(assigned_csm)
    page = client.get(reverse("rights:console_detail", args=[dsr.pk])).content.decode()
    assert "Erase now" in page and 'name="confirm"' in page
    unconfirmed = _step(client, dsr, "fulfil")
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm the erasure" in unconfirmed.content.decode()
    assert fresh(dsr).state == RequestState.APPROVED
    assert fresh(alice).email == "alice@a.example"
    done = _step(
        client, dsr, "fulfil", {"confirm": "yes"}, capture=django_capture_on_commit_callbacks
    )
    assert done.status_code == 302
    assert fresh(dsr).state == RequestState.FULFILLED
    assert fresh(alice).email != "alice@a.example"
    # The page after: the person shows as a former member, nothing of theirs on it.
    page = client.get(reverse("rights:console_detail", args=[dsr.pk])).content.decode()
    assert "Alice" not in page and "alice@a.example" not in page


def test_the_officer_narrows_the_list_to_one_organization(
    staff_client, security_officer, alice, charlie, org_b, make_request
):
    ours, theirs = make_request(alice), make_request(charlie)
    client = staff_client(security_officer)
    page = client.get(reverse("rights:console")).content.decode()
    assert "All organizations" in page
    body = client.get(
        reverse("rights:console"), {"organization": str(org_b.pk)}, **HTMX
    ).content.decode()
    assert str(theirs.pk) in body and str(ours.pk) not in body


def test_the_list_is_capped_and_says_so(
    staff_client, assigned_csm, alice, make_request, monkeypatch
):
    from grove.rights import views

    monkeypatch.setattr(views, "CONSOLE_ROWS_SHOWN", 2)
    for request_type in ("access", "erasure", "portability"):
        make_request(alice, request_type)
    body = staff_client(assigned_csm).get(reverse("rights:console")).content.decode()
    assert body.count('class="request-card') == 2
    assert "The first 2 of 3 requests" in body


def test_a_csm_sends_the_person_a_code(
    staff_client, assigned_csm, alice, make_request, django_capture_on_commit_callbacks
):
    dsr = make_request(alice, "access", state=RequestState.RECEIVED, channel="phone")
    response = _step(
        staff_client(assigned_csm), dsr, "send-code", capture=django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["alice@a.example"]
    dsr = fresh(dsr)
    assert dsr.state == RequestState.RECEIVED and dsr.verification_code_hash


def test_the_officer_rejects_an_erasure_only_with_a_ground(
    staff_client, security_officer, alice, make_request
):
    dsr = make_request(alice, "erasure", state=RequestState.AWAITING_APPROVAL)
    officer = staff_client(security_officer)
    bare = _step(officer, dsr, "decide", {"decision": "reject"})
    assert bare.status_code == 409
    assert "lawful ground" in bare.content.decode()
    assert fresh(dsr).state == RequestState.AWAITING_APPROVAL
    rejected = _step(
        officer,
        dsr,
        "decide",
        {
            "decision": "reject",
            "refusal_ground": "investigation",
            "refusal_details": "An investigation involving this account is under way.",
        },
    )
    assert rejected.status_code == 302
    dsr = fresh(dsr)
    assert (dsr.state, dsr.refusal_ground) == (RequestState.REFUSED, "investigation")


def test_the_officer_rejects_a_proposed_refusal_and_the_request_goes_on(
    staff_client, security_officer, alice, make_request
):
    dsr = make_request(
        alice,
        "access",
        state=RequestState.AWAITING_APPROVAL,
        refusal_ground="manifestly_unfounded",
        refusal_details="Asked three times this week.",
    )
    response = _step(staff_client(security_officer), dsr, "decide", {"decision": "reject"})
    assert response.status_code == 302
    dsr = fresh(dsr)
    assert (dsr.state, dsr.refusal_ground) == (RequestState.IN_PROGRESS, "")


def test_a_request_due_hours_ago_is_a_day_late(staff_client, assigned_csm, alice, make_request):
    now = timezone.now()
    make_request(alice, "access", due_at=now - datetime.timedelta(hours=3))
    body = staff_client(assigned_csm).get(reverse("rights:console")).content.decode()
    assert "Overdue by 1 day<" in body
