"""Offboarding from the status page: a deactivated person's next request is logged out, they
cannot log in again, and what they published stays."""

from grove.accounts.models import User
from grove.audit.models import AuditAction
from grove.core.testing.factories import TEST_PASSWORD, PracticeFactory
from grove.core.testing.fixtures import HttpsClient
from grove.practices.models import Practice
from grove.tenancy.context import unscoped

from .test_invitation_status_views import PAGE


def test_deactivation_ends_the_session_and_the_login(client, bob, alice, audit_events):
    alices_browser = HttpsClient()
    alices_browser.force_login(alice)
    assert alices_browser.get("/practices/").status_code == 200

    client.force_login(bob)
    response = client.post(f"{PAGE}members/{alice.pk}/deactivate")

    assert response.status_code == 302
    with unscoped("test: read back"):
        assert User.objects.get(pk=alice.pk).is_active is False
    # Her open session is refused at its next request.
    next_request = alices_browser.get("/practices/")
    assert next_request.status_code == 302
    assert next_request["Location"].startswith("/accounts/login/")
    # And she cannot log in again.
    login = client.post(
        "/accounts/login/", {"username": "alice@a.example", "password": TEST_PASSWORD}
    )
    assert login.status_code == 200
    [event] = audit_events(AuditAction.USER_DEACTIVATED)
    assert event.actor_id == bob.pk and event.subject_user_id == alice.pk
    assert event.details == {"source": "manager"}
    page = client.get(PAGE).content.decode()
    assert f'data-user="{alice.pk}" data-status="deactivated"' in page


def test_a_manager_cannot_deactivate_themselves(client, bob):
    client.force_login(bob)

    client.post(f"{PAGE}members/{bob.pk}/deactivate")

    with unscoped("test: read back"):
        assert User.objects.get(pk=bob.pk).is_active is True


def test_a_deactivated_authors_practices_stay(client, bob, alice):
    practice = PracticeFactory(organization=alice.organization, author=alice)
    client.force_login(bob)

    client.post(f"{PAGE}members/{alice.pk}/deactivate")

    with unscoped("test: read back"):
        kept = Practice.objects.get(pk=practice.pk)
    assert kept.author_id == alice.pk
    assert kept.status == practice.status
