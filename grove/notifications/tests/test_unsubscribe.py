"""The digest's one-click unsubscribe page: no login, GET changes nothing, POST unsubscribes."""

from django.test import Client
from django.urls import reverse

from grove.audit.models import AuditAction
from grove.notifications.models import DigestFrequency
from grove.notifications.tokens import unsubscribe_token

from .conftest import preference_of


def url_for(user) -> str:
    return reverse("notifications:unsubscribe", args=[unsubscribe_token(user)])


def test_get_shows_a_confirmation_and_changes_nothing(client, alice, audit_events):
    response = client.get(url_for(alice))
    assert response.status_code == 200
    assert "Unsubscribe" in response.content.decode()
    assert preference_of(alice) is None
    assert audit_events(AuditAction.UPDATE) == []


def test_post_unsubscribes_without_login_or_csrf_token(alice, audit_events):
    # A mail client's RFC 8058 one-click POST: no session, no CSRF cookie.
    client = Client(enforce_csrf_checks=True)
    response = client.post(url_for(alice), {"List-Unsubscribe": "One-Click"}, secure=True)
    assert response.status_code == 200
    assert preference_of(alice).digest_frequency == DigestFrequency.NEVER
    (event,) = audit_events(AuditAction.UPDATE)
    assert event.object_type == "notification_preference"
    assert event.subject_user_id == alice.pk


def test_a_tampered_token_is_404(client, alice, bob):
    token = unsubscribe_token(alice)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    url = reverse("notifications:unsubscribe", args=[tampered])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    forged = reverse("notifications:unsubscribe", args=[f"{bob.pk}:nosignature"])
    assert client.post(forged).status_code == 404
    assert preference_of(alice) is None and preference_of(bob) is None


def test_a_token_signed_for_another_purpose_is_404(client, alice):
    from django.core import signing

    other = signing.dumps(str(alice.pk), salt="something.else")
    assert client.post(reverse("notifications:unsubscribe", args=[other])).status_code == 404


def test_the_token_of_an_unknown_account_is_404(client, alice):
    token = unsubscribe_token(alice)
    with __import__("grove.tenancy.context", fromlist=["unscoped"]).unscoped("test set-up"):
        alice.delete()
    assert client.post(reverse("notifications:unsubscribe", args=[token])).status_code == 404


def test_a_logged_in_member_unsubscribes_only_the_account_in_the_token(client, alice, charlie):
    client.force_login(charlie)
    assert client.post(url_for(alice)).status_code == 200
    assert preference_of(alice).digest_frequency == DigestFrequency.NEVER
    assert preference_of(charlie) is None
