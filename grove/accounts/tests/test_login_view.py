import pytest
from django.test import Client
from django.urls import reverse

from grove.accounts.models import User
from grove.audit.events import pseudonymous_ref
from grove.audit.models import AuditAction
from grove.core.testing.factories import TEST_PASSWORD, OrganizationFactory, UserFactory
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import Organization

from .helpers import assert_nowhere_in

LOGIN_URL = reverse("accounts:login")


def log_in(client, email, password=TEST_PASSWORD, **extra):
    return client.post(LOGIN_URL, {"username": email, "password": password}, **extra)


def test_the_login_form_asks_for_a_business_email(client, db):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    assert "Business email" in response.text
    assert 'type="email"' in response.text


def test_plain_http_is_redirected_to_https(db):
    response = Client().get(LOGIN_URL)

    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_a_member_logs_in_and_lands_on_the_home_page(client, alice):
    response = log_in(client, "alice@a.example")

    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert client.get(reverse("core:home")).context["user"].pk == alice.pk


def test_a_login_records_the_actor_the_truncated_ip_and_the_request_id(client, alice, audit_events):
    response = log_in(client, "alice@a.example", REMOTE_ADDR="203.0.113.57")

    [event] = audit_events(AuditAction.LOGIN)
    assert event.actor_id == alice.pk
    assert event.actor_role == "member"
    assert event.organization_id == alice.organization_id
    assert event.subject_user_id == alice.pk
    assert event.ip_prefix == "203.0.113.0/24"
    assert event.request_id == response["X-Request-ID"]


def test_a_login_updates_last_login(client, alice):
    log_in(client, "alice@a.example")

    with tenant_context(alice.organization):
        alice.refresh_from_db()
    assert alice.last_login is not None


def test_the_login_email_is_compared_in_lower_case(client, alice):
    response = log_in(client, "  Alice@A.EXAMPLE ")

    assert response.status_code == 302


def test_a_login_follows_a_next_url_on_this_site(client, alice):
    response = client.post(
        LOGIN_URL + "?next=/healthz",
        {"username": "alice@a.example", "password": TEST_PASSWORD},
    )

    assert response["Location"] == "/healthz"


def test_a_login_ignores_a_next_url_to_another_site(client, alice):
    response = client.post(
        LOGIN_URL,
        {"username": "alice@a.example", "password": TEST_PASSWORD, "next": "https://evil.example/"},
    )

    assert response["Location"] == reverse("core:home")


def test_operator_staff_log_in_without_an_organization(client, csm, audit_events):
    response = log_in(client, "csm@grove.example")

    assert response.status_code == 302
    [event] = audit_events(AuditAction.LOGIN)
    assert event.actor_id == csm.pk
    assert event.organization_id is None


def test_a_wrong_password_shows_an_error_and_records_a_failed_login(client, alice, audit_events):
    response = log_in(client, "alice@a.example", password="not-the-password")

    assert response.status_code == 200
    assert "Please enter a correct business email and password." in response.text
    assert "_auth_user_id" not in client.session
    [event] = audit_events(AuditAction.LOGIN_FAILED)
    assert event.subject_ref == pseudonymous_ref("alice@a.example")
    assert event.actor_id is None
    assert event.subject_user_id is None


def test_a_failed_login_event_holds_no_email_in_any_column(client, alice, audit_events):
    log_in(client, "Alice@A.example", password="not-the-password")

    [event] = audit_events(AuditAction.LOGIN_FAILED)
    assert_nowhere_in(event, "alice@a.example", "alice", "a.example")


def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(client, alice):
    wrong_password = log_in(client, "alice@a.example", password="not-the-password")
    unknown_email = log_in(client, "nobody@a.example", password="not-the-password")

    assert unknown_email.status_code == wrong_password.status_code == 200
    assert "Please enter a correct business email and password." in unknown_email.text


def test_a_user_of_an_ended_organization_cannot_log_in(client, db, audit_events):
    ended = OrganizationFactory(slug="ended", status=Organization.Status.ENDED)
    UserFactory(email="former@ended.example", organization=ended)

    response = log_in(client, "former@ended.example")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert audit_events(AuditAction.LOGIN) == []
    assert len(audit_events(AuditAction.LOGIN_FAILED)) == 1


def test_an_inactive_user_cannot_log_in(client, db, audit_events):
    UserFactory(email="gone@a.example", is_active=False)

    response = log_in(client, "gone@a.example")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert len(audit_events(AuditAction.LOGIN_FAILED)) == 1


def test_an_organization_that_ends_ends_its_running_sessions(client, alice):
    log_in(client, "alice@a.example")

    with unscoped("test: end the contract"):
        Organization.objects.filter(pk=alice.organization_id).update(
            status=Organization.Status.ENDED
        )

    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


@pytest.mark.parametrize("missing", ["username", "password"])
def test_an_incomplete_form_records_no_failed_login(client, alice, audit_events, missing):
    data = {"username": "alice@a.example", "password": TEST_PASSWORD}
    data[missing] = ""

    response = client.post(LOGIN_URL, data)

    assert response.status_code == 200
    assert audit_events(AuditAction.LOGIN_FAILED) == []


def test_the_user_model_is_untouched_by_a_failed_login(client, alice):
    log_in(client, "alice@a.example", password="not-the-password")

    with tenant_context(alice.organization):
        assert User.objects.get(pk=alice.pk).last_login is None
