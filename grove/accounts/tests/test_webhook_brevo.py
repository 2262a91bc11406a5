"""Brevo's tracking webhook (anymail): basic auth required, a bounce marks the invitation."""

# ruff: noqa: F811 -- the fixtures imported from test_invitations are parameters here

import base64
import json

import pytest

from grove.accounts.models import DeliveryStatus, Invitation
from grove.audit.models import AuditAction
from grove.tenancy.context import tenant_context, unscoped

from .test_invitations import immediate_tasks, invitee, sent_invitation  # noqa: F401 -- fixtures

URL = "/anymail/brevo/tracking/"
SECRET = "brevo:s3cret-webhook-password"  # noqa: S105 -- test value


@pytest.fixture
def webhook_secret(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}


def brevo_event(event: str, message_id: str = "<m1@brevo>") -> str:
    """A payload shaped like Brevo's transactional webhook."""
    return json.dumps(
        {
            "event": event,
            "email": "dora@a.example",
            "id": 123456,
            "date": "2026-11-29 06:10:00",
            "ts": 1795932600,
            "message-id": message_id,
            "ts_event": 1795932600,
            "subject": "You are invited to Grove by Organization A",
            "tag": "invitation",
            "sending_ip": "185.41.28.109",
            "ts_epoch": 1795932600123,
            "tags": ["invitation"],
            "reason": "550 5.1.1 user unknown",
        }
    )


def post(client, payload: str, auth: str | None = SECRET):
    headers = {}
    if auth is not None:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(auth.encode()).decode()
    return client.post(URL, payload, content_type="application/json", **headers)


def status_of(invitation) -> str:
    with unscoped("test: read back"):
        return Invitation.objects.get(pk=invitation.pk).delivery_status


def test_a_hard_bounce_marks_the_invitation(
    client,
    webhook_secret,
    sent_invitation,
    audit_events,
):
    response = post(client, brevo_event("hard_bounce"))

    assert response.status_code == 200
    assert status_of(sent_invitation) == DeliveryStatus.BOUNCED
    [event] = audit_events(AuditAction.INVITATION_DELIVERY)
    assert event.object_ids == [str(sent_invitation.pk)]
    assert "dora" not in json.dumps(event.details)


def test_a_complaint_marks_the_invitation(client, webhook_secret, sent_invitation):
    assert post(client, brevo_event("spam")).status_code == 200
    assert status_of(sent_invitation) == DeliveryStatus.COMPLAINED


def test_delivered_is_recorded(client, webhook_secret, sent_invitation):
    assert post(client, brevo_event("delivered")).status_code == 200
    assert status_of(sent_invitation) == DeliveryStatus.DELIVERED


@pytest.mark.parametrize("auth", [None, "brevo:wrong", "other:s3cret-webhook-password"])
def test_without_the_right_credentials_nothing_changes(
    client,
    webhook_secret,
    sent_invitation,
    audit_events,
    auth,
):
    response = post(client, brevo_event("hard_bounce"), auth=auth)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert status_of(sent_invitation) == ""
    assert audit_events(AuditAction.INVITATION_DELIVERY) == []


def test_without_a_configured_secret_the_webhook_is_closed(
    client,
    settings,
    sent_invitation,
):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": ""}

    response = post(client, brevo_event("hard_bounce"), auth=None)

    assert response.status_code == 404
    assert status_of(sent_invitation) == ""


def test_an_unknown_message_or_a_malformed_body_changes_nothing(
    client,
    webhook_secret,
    sent_invitation,
):
    assert post(client, brevo_event("hard_bounce", "<other@brevo>")).status_code == 200
    assert post(client, "not json").status_code == 400
    assert status_of(sent_invitation) == ""


def test_get_is_not_allowed(client, webhook_secret, db):
    assert client.get(URL).status_code == 405


def test_the_invitation_is_found_across_organizations_only_by_its_message_id(
    client,
    webhook_secret,
    sent_invitation,
):
    # The request belongs to no organization; the action scopes its write to the invitation's.
    with tenant_context(sent_invitation.organization_id):
        assert Invitation.objects.filter(provider_message_id="<m1@brevo>").count() == 1
    assert post(client, brevo_event("hard_bounce")).status_code == 200
