import re
import smtplib

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from grove.accounts.actions import user_update
from grove.audit.events import pseudonymous_ref
from grove.audit.models import AuditAction
from grove.core.testing.factories import TEST_PASSWORD, UserFactory
from grove.tenancy.context import tenant_context

from .helpers import assert_nowhere_in

REQUEST_URL = reverse("accounts:password_reset")
NEW_PASSWORD = "a-brand-new-passphrase-2026"


@pytest.fixture
def request_reset(client, django_capture_on_commit_callbacks):
    """POST the reset form and run what waits for the commit (the mail), as a request would."""

    def post(email):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(REQUEST_URL, {"email": email})

    return post


def link_in(message) -> str:
    match = re.search(r"https://\S+", message.body)
    assert match, "no link in the message"
    return match.group(0)


def test_a_reset_request_for_an_account_sends_exactly_one_mail(alice, request_reset, mailoutbox):
    response = request_reset("alice@a.example")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_sent")
    [message] = mailoutbox
    assert message.to == ["alice@a.example"]
    assert "Alice" in message.body
    assert "/accounts/password-reset/" in link_in(message)


def test_an_unknown_email_gets_no_mail_and_the_very_same_answer(
    client, alice, request_reset, mailoutbox
):
    known = request_reset("alice@a.example")
    mailoutbox.clear()
    unknown = request_reset("nobody@a.example")

    assert mailoutbox == []
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert client.get(unknown["Location"]).content == client.get(known["Location"]).content


def test_the_email_is_matched_in_lower_case(alice, request_reset, mailoutbox):
    request_reset("ALICE@A.example")

    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    "account",
    [
        {"is_active": False},
        {"password": None},  # invitation not accepted yet
    ],
    ids=["inactive", "invitation-pending"],
)
def test_accounts_that_cannot_log_in_get_no_mail(db, request_reset, mailoutbox, account):
    UserFactory(email="dormant@a.example", **account)

    response = request_reset("dormant@a.example")

    assert response.status_code == 302
    assert mailoutbox == []


def test_the_request_is_logged_without_the_email(alice, request_reset, audit_events):
    request_reset("alice@a.example")
    request_reset("nobody@a.example")

    known, unknown = audit_events(AuditAction.PASSWORD_RESET_REQUESTED)
    assert known.subject_user_id == alice.pk
    assert known.subject_ref == pseudonymous_ref("alice@a.example")
    assert unknown.subject_user_id is None
    assert unknown.subject_ref == pseudonymous_ref("nobody@a.example")
    for event in (known, unknown):
        assert_nowhere_in(event, "alice@a.example", "nobody@a.example", "a.example")


def test_the_reset_link_holds_no_email(alice, request_reset, mailoutbox):
    request_reset("alice@a.example")

    assert "alice" not in link_in(mailoutbox[0]).lower()


def test_the_reset_link_sets_a_new_password(client, alice, request_reset, mailoutbox, audit_events):
    request_reset("alice@a.example")
    link = link_in(mailoutbox[0])

    # The token leaves the URL for the session before the form is shown.
    opened = client.get(link)
    assert opened.status_code == 302
    assert opened["Location"].endswith("/set-password/")
    form_page = client.get(opened["Location"])
    assert form_page.context["valid_link"] is True

    done = client.post(
        opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:password_reset_done")
    assert client.login(email="alice@a.example", password=NEW_PASSWORD)
    assert not client.login(email="alice@a.example", password=TEST_PASSWORD)
    [event] = audit_events(AuditAction.PASSWORD_RESET_DONE)
    assert event.actor_id == alice.pk
    assert event.organization_id == alice.organization_id


def test_a_reset_link_works_only_once(client, alice, request_reset, mailoutbox):
    request_reset("alice@a.example")
    link = link_in(mailoutbox[0])
    set_password_url = client.get(link)["Location"]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = client.get(link)

    assert again.status_code == 200
    assert again.context["valid_link"] is False


def test_a_forged_link_is_refused(client, alice):
    url = reverse(
        "accounts:password_reset_confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(alice.pk)), "token": "abc-def"},
    )

    response = client.get(url)

    assert response.status_code == 200
    assert response.context["valid_link"] is False


def test_the_set_password_page_without_a_token_in_the_session_is_refused(client, alice):
    url = reverse(
        "accounts:password_reset_confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(alice.pk)), "token": "set-password"},
    )

    response = client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 200
    assert response.context["valid_link"] is False
    assert client.login(email="alice@a.example", password=TEST_PASSWORD)


def test_a_weak_new_password_is_refused(client, alice, request_reset, mailoutbox):
    request_reset("alice@a.example")
    set_password_url = client.get(link_in(mailoutbox[0]))["Location"]

    response = client.post(set_password_url, {"new_password1": "short", "new_password2": "short"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.login(email="alice@a.example", password=TEST_PASSWORD)


class BrokenMailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPException("relay refused alice@a.example")


def test_a_failing_mail_server_does_not_change_the_answer(alice, request_reset, settings, caplog):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMailBackend"

    response = request_reset("alice@a.example")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_sent")
    assert str(alice.pk) in caplog.text
    assert "alice@a.example" not in caplog.text


def test_a_link_stops_working_when_the_account_is_deactivated(
    client, alice, request_reset, mailoutbox
):
    request_reset("alice@a.example")
    with tenant_context(alice.organization):
        user_update(actor=None, user=alice, is_active=False)

    response = client.get(link_in(mailoutbox[0]))

    assert response.status_code == 200
    assert response.context["valid_link"] is False
