"""The activation link: GET shows a confirmation page and spends nothing (mail scanners open
links); the person's POST sets the password, accepts the terms, logs in and opens the feed."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from grove.accounts.invitations import invitation_revoke, invitations_send
from grove.accounts.models import Invitation, User
from grove.audit.models import AuditAction
from grove.core.testing.factories import UserFactory
from grove.tenancy.context import unscoped

from .test_invitations import IMMEDIATE, link_token

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"  # noqa: S105 -- test value


@pytest.fixture
def invited(settings, org_a, django_capture_on_commit_callbacks):
    """Dora, invited: (the user, the invitation, the link's path)."""
    settings.TASKS = IMMEDIATE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    dora = UserFactory(
        email="dora@a.example",
        first_name="Dora",
        last_name="Dupont",
        organization=org_a,
        password=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        [invitation] = invitations_send(users=[dora])
    token = link_token(mail.outbox[-1])
    return dora, invitation, f"/accounts/invitation/{token}/"


def activation_form(**overrides):
    return {
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
        "accept_terms": "on",
        **overrides,
    }


def stored(model, pk):
    with unscoped("test: read back"):
        return model.objects.get(pk=pk)


def test_opening_the_link_twice_spends_nothing(client, invited):
    dora, invitation, path = invited

    first = client.get(path)
    second = client.get(path)

    assert first.status_code == second.status_code == 200
    assert b"Activate your account" in first.content
    assert b'name="accept_terms"' in first.content
    after = stored(Invitation, invitation.pk)
    assert after.accepted_at is None and after.opened_at is not None
    assert not stored(User, dora.pk).has_usable_password()
    assert "_auth_user_id" not in client.session
    # Still usable: the person's own press activates.
    assert client.post(path, activation_form()).status_code == 302


def test_opened_is_stamped_once(client, invited):
    _dora, invitation, path = invited
    client.get(path)
    opened = stored(Invitation, invitation.pk).opened_at

    with time_machine.travel(timezone.now() + datetime.timedelta(hours=2)):
        client.get(path)

    assert stored(Invitation, invitation.pk).opened_at == opened
    assert stored(Invitation, invitation.pk).status == "opened"


def test_the_form_activates_logs_in_and_opens_the_feed(client, invited, audit_events):
    dora, invitation, path = invited

    response = client.post(path, activation_form())

    assert response.status_code == 302
    assert response["Location"] == "/practices/"
    user = stored(User, dora.pk)
    assert user.check_password(NEW_PASSWORD)
    assert user.terms_accepted_at is not None
    assert stored(Invitation, invitation.pk).accepted_at is not None
    assert client.session["_auth_user_id"] == str(dora.pk)
    assert client.get("/practices/").status_code == 200
    [event] = audit_events(AuditAction.INVITATION_ACCEPTED)
    assert event.actor_id == dora.pk and event.object_ids == [str(invitation.pk)]
    assert len(audit_events(AuditAction.LOGIN)) == 1
    # And the password works at the login page afterwards.
    client.logout()
    login = client.post(
        "/accounts/login/", {"username": "dora@a.example", "password": NEW_PASSWORD}
    )
    assert login.status_code == 302


def test_a_second_post_is_refused_as_already_used(client, invited):
    dora, _invitation, path = invited
    client.post(path, activation_form())
    client.logout()

    again = client.post(
        path,
        activation_form(new_password1="another-password-77x", new_password2="another-password-77x"),
    )

    assert again.status_code == 410
    assert b"already used" in again.content
    assert stored(User, dora.pk).check_password(NEW_PASSWORD)
    assert client.get(path).status_code == 410


def test_the_terms_must_be_accepted(client, invited):
    dora, invitation, path = invited

    response = client.post(path, activation_form(accept_terms=""))

    assert response.status_code == 400
    assert b"Please accept the terms of use." in response.content
    assert not stored(User, dora.pk).has_usable_password()
    assert stored(Invitation, invitation.pk).accepted_at is None


@pytest.mark.parametrize(
    ("first", "second"),
    [("short", "short"), (NEW_PASSWORD, NEW_PASSWORD + "x"), ("dora@a.example", "dora@a.example")],
)
def test_weak_or_mismatched_passwords_are_refused(client, invited, first, second):
    dora, _invitation, path = invited

    response = client.post(path, activation_form(new_password1=first, new_password2=second))

    assert response.status_code == 400
    assert not stored(User, dora.pk).has_usable_password()


def test_an_expired_link_is_refused(client, invited):
    dora, _invitation, path = invited

    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        shown = client.get(path)
        posted = client.post(path, activation_form())

    assert shown.status_code == posted.status_code == 410
    assert b"expired" in posted.content
    assert not stored(User, dora.pk).has_usable_password()


def test_a_revoked_link_answers_like_an_unknown_one(client, invited, bob):
    dora, invitation, path = invited
    invitation_revoke(actor=bob, invitation=invitation)

    revoked = client.post(path, activation_form())
    unknown = client.get("/accounts/invitation/" + "x" * 43 + "/")

    assert revoked.status_code == unknown.status_code == 404
    assert revoked.content == unknown.content
    assert not stored(User, dora.pk).has_usable_password()


def test_a_deactivated_persons_link_is_refused(client, invited):
    dora, _invitation, path = invited
    with unscoped("test set-up"):
        User.objects.filter(pk=dora.pk).update(is_active=False)

    assert client.post(path, activation_form()).status_code == 404
    assert not stored(User, dora.pk).has_usable_password()


def test_the_terms_page_is_public(client, db):
    response = client.get("/accounts/terms/")

    assert response.status_code == 200
    assert b"Terms of use" in response.content


def test_the_page_speaks_the_profiles_language(client, invited):
    dora, _invitation, path = invited
    with unscoped("test set-up"):
        User.objects.filter(pk=dora.pk).update(language="fr")

    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")

    assert '<html lang="fr">' in response.content.decode()
