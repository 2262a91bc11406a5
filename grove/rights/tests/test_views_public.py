"""The public form (no login) and the code page: the same answer for a known and an unknown
address, the code from the mail verifies, wrong codes lock the request."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from grove.audit.models import AuditAction
from grove.rights.models import DataSubjectRequest, RefusalGround, RequestState

from .test_views_fixtures import *  # noqa: F403 -- the shared fixtures
from .test_views_fixtures import code_in, rows

pytestmark = pytest.mark.django_db


def _file(client, email, request_type="access", capture=None):
    if capture is None:
        return client.post(reverse("rights:public"), {"email": email, "request_type": request_type})
    with capture(execute=True):
        return client.post(reverse("rights:public"), {"email": email, "request_type": request_type})


def _verify_page(client):
    return client.get(reverse("rights:public_verify")).content.decode()


def test_the_public_form_needs_no_login(client):
    response = client.get(reverse("rights:public"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="email"' in body and "6-digit code" in body
    # Rectification needs the new values: only from the profile or through a CSM.
    assert 'value="rectification"' not in body


def test_a_known_address_gets_a_code_and_verifies(
    client, alice, events, django_capture_on_commit_callbacks
):
    response = _file(client, "Alice@A.example", capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == reverse("rights:public_verify")
    [dsr] = rows(DataSubjectRequest)
    assert (dsr.subject_id, dsr.channel, dsr.state) == (alice.pk, "web_form", "received")
    [message] = mail.outbox
    assert message.to == ["alice@a.example"]
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("rights:public_verify"), {"code": code_in(message)})
    assert done.status_code == 200
    assert "your request is received" in done.content.decode()
    assert rows(DataSubjectRequest)[0].state == RequestState.IDENTITY_VERIFIED
    assert events(AuditAction.REQUEST_IDENTITY_VERIFIED)
    # The pending request left the session: the code page starts over.
    assert client.get(reverse("rights:public_verify")).status_code == 302


def test_an_unknown_address_gets_the_same_answer_and_nothing_is_created(
    client, alice, events, django_capture_on_commit_callbacks
):
    known = _file(client, "alice@a.example", capture=django_capture_on_commit_callbacks)
    known_page = _verify_page(client)
    mail.outbox.clear()
    other = type(client)()
    unknown = _file(other, "nobody@nowhere.example", capture=django_capture_on_commit_callbacks)
    unknown_page = _verify_page(other)
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert _without_tokens(known_page) == _without_tokens(unknown_page)
    assert mail.outbox == []
    assert len(rows(DataSubjectRequest)) == 1
    for event in events():
        assert "nobody@nowhere.example" not in str(event.details) + event.subject_ref


def _without_tokens(page: str) -> str:
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_wrong_codes_lock_the_request_and_a_decoy_answers_the_same(
    client, alice, events, django_capture_on_commit_callbacks
):
    _file(client, "alice@a.example", capture=django_capture_on_commit_callbacks)
    [message] = mail.outbox
    wrong = "000000" if code_in(message) != "000000" else "111111"
    decoy = type(client)()
    _file(decoy, "nobody@nowhere.example")
    real_answers, decoy_answers = [], []
    for _attempt in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            real = client.post(reverse("rights:public_verify"), {"code": wrong})
        fake = decoy.post(reverse("rights:public_verify"), {"code": wrong})
        real_answers.append((real.status_code, _alert(real)))
        decoy_answers.append((fake.status_code, _alert(fake)))
    assert real_answers == decoy_answers
    assert "not right" in real_answers[0][1]
    assert "Too many wrong codes" in real_answers[-1][1]
    [dsr] = rows(DataSubjectRequest)
    assert dsr.state == RequestState.REFUSED
    assert dsr.refusal_ground == RefusalGround.IDENTITY_NOT_VERIFIED
    assert len(events(AuditAction.REQUEST_CODE_FAILED)) >= 4
    # The right code no longer helps: the request is closed, the page starts over.
    assert client.get(reverse("rights:public_verify")).status_code == 302


def _alert(response) -> str:
    import re

    found = re.search(r'<div class="alert" role="alert"><p>(.*?)</p>', response.content.decode())
    return found.group(1) if found else ""


def test_a_malformed_code_is_refused_without_counting(client, alice):
    _file(client, "alice@a.example")
    response = client.post(reverse("rights:public_verify"), {"code": "12ab"})
    assert response.status_code == 400
    assert "Type the 6 digits" in response.content.decode()
    assert rows(DataSubjectRequest)[0].verification_attempts == 0


def test_the_code_page_without_a_request_sends_back_to_the_form(client):
    response = client.get(reverse("rights:public_verify"))
    assert response.status_code == 302 and response["Location"] == reverse("rights:public")


def test_a_bad_form_is_refused_with_its_errors(client):
    response = client.post(reverse("rights:public"), {"email": "not an email"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid email address" in body and "This field is required" in body
    assert rows(DataSubjectRequest) == []


def test_a_new_code_replaces_the_old_one_and_a_decoy_answers_the_same(
    client, alice, django_capture_on_commit_callbacks
):
    _file(client, "alice@a.example", capture=django_capture_on_commit_callbacks)
    [first] = mail.outbox
    decoy = type(client)()
    _file(decoy, "nobody@nowhere.example")
    answers = []
    for _resend in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            real = client.post(reverse("rights:public_resend"), follow=True)
        fake = decoy.post(reverse("rights:public_resend"), follow=True)
        answers.append(
            (
                (real.status_code, _without_tokens(real.content.decode())),
                (fake.status_code, _without_tokens(fake.content.decode())),
            )
        )
    assert all(real == fake for real, fake in answers)
    assert "a new code is on its way" in answers[0][0][1]
    # Five codes in all (the first included): the fifth request for one is refused.
    assert answers[-1][0][0] == 400 and "No more codes" in answers[-1][0][1]
    codes = [m for m in mail.outbox if m.to == ["alice@a.example"]]
    assert len(codes) == 5
    latest = code_in(codes[-1])
    if code_in(first) != latest:
        stale = client.post(reverse("rights:public_verify"), {"code": code_in(first)})
        assert stale.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("rights:public_verify"), {"code": latest})
    assert done.status_code == 200
    assert rows(DataSubjectRequest)[0].state == RequestState.IDENTITY_VERIFIED
