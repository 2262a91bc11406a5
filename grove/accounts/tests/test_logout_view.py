from django.urls import reverse

from grove.audit.models import AuditAction
from grove.core.testing.factories import TEST_PASSWORD

LOGOUT_URL = reverse("accounts:logout")


def test_logout_refuses_get_and_keeps_the_session(client, alice, audit_events):
    client.login(email="alice@a.example", password=TEST_PASSWORD)

    response = client.get(LOGOUT_URL)

    assert response.status_code == 405
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert audit_events(AuditAction.LOGOUT) == []


def test_logout_by_post_ends_the_session_and_records_it(client, alice, audit_events):
    client.login(email="alice@a.example", password=TEST_PASSWORD)

    response = client.post(LOGOUT_URL)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session
    [event] = audit_events(AuditAction.LOGOUT)
    assert event.actor_id == alice.pk
    assert event.organization_id == alice.organization_id


def test_logout_without_a_session_records_nothing(client, db, audit_events):
    response = client.post(LOGOUT_URL)

    assert response.status_code == 302
    assert audit_events(AuditAction.LOGOUT) == []
