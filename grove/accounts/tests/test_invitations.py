"""The invitation actions: sending (mail in the person's language, token only in the mail,
task arguments ids only), resending, revoking, and the provider's delivery reports."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from grove.accounts.invitations import (
    invitation_delivery_event,
    invitation_for_token,
    invitation_resend,
    invitation_revoke,
    invitations_send,
    token_hash,
)
from grove.accounts.models import DeliveryStatus, Invitation, InvitationStatus, OrgRole
from grove.audit.models import AuditAction
from grove.core.testing.factories import UserFactory
from grove.tenancy.context import tenant_context, unscoped

from .helpers import assert_nowhere_in

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
LINK = re.compile(r"https?://\S+/accounts/invitation/([A-Za-z0-9_\-]+)/")


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = IMMEDIATE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def invitee(org_a):
    return UserFactory(
        email="dora@a.example",
        first_name="Dora",
        last_name="Dupont",
        organization=org_a,
        password=None,  # unusable: the account waits for its invitation
    )


def send(users, *, actor=None, capture):
    with capture(execute=True):
        return invitations_send(users=users, actor=actor)


def link_token(message) -> str:
    match = LINK.search(message.body)
    assert match, "the mail holds the activation link"
    return match.group(1)


def refreshed(invitation: Invitation) -> Invitation:
    with unscoped("test: read the invitation"):
        return Invitation.objects.get(pk=invitation.pk)


def test_it_mails_an_activation_link_in_english(
    immediate_tasks, invitee, bob, django_capture_on_commit_callbacks
):
    [invitation] = send([invitee], actor=bob, capture=django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert message.to == ["dora@a.example"]
    assert message.subject == "You are invited to Grove by Organization A"
    assert "Hello Dora," in message.body
    assert "within 7 days" in message.body
    token = link_token(message)
    stored = refreshed(invitation)
    assert stored.token_hash == token_hash(token)
    assert stored.sent_at is not None
    assert stored.created_by_id == bob.pk
    assert stored.expires_at - stored.created_at == datetime.timedelta(days=7)
    assert stored.status == InvitationStatus.SENT
    assert invitation_for_token(token).state == "usable"


def test_it_mails_in_french_for_a_french_profile(
    immediate_tasks, invitee, django_capture_on_commit_callbacks
):
    with unscoped("test set-up"):
        invitee.language = "fr"
        invitee.save(update_fields=["language"])

    send([invitee], capture=django_capture_on_commit_callbacks)

    [message] = mail.outbox
    # Rendered in French (the new sentences join the catalogue when the lead rebuilds it).
    assert "Bonjour Dora," in message.body
    assert "Hello" not in message.body
    assert "/accounts/invitation/" in message.body


def test_the_token_is_stored_nowhere_in_clear(
    immediate_tasks, invitee, django_capture_on_commit_callbacks
):
    send([invitee], capture=django_capture_on_commit_callbacks)
    token = link_token(mail.outbox[0])

    dump = dump_of_every_text_column()
    assert token_hash(token) in dump  # the dump does see the invitation's row
    assert token not in dump


def dump_of_every_text_column() -> str:
    """Every table's every row, as text (a crude database dump)."""
    chunks: list[str] = []
    with unscoped("test: dump every table"), connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if connection.vendor == "postgresql":
                cursor.execute(f'SELECT t::text FROM "{table}" t')  # noqa: S608 -- test
            else:
                cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 -- test
            chunks.extend(str(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_the_task_gets_ids_only(settings, invitee, django_capture_on_commit_callbacks):
    settings.TASKS = DUMMY
    from django_tasks import default_task_backend

    default_task_backend.clear()
    [invitation] = send([invitee], capture=django_capture_on_commit_callbacks)

    [result] = default_task_backend.results
    assert result.task.name == "send_invitations"
    assert result.args == [[str(invitation.pk)], str(invitation.organization_id)]
    assert result.kwargs == {}
    assert not mail.outbox  # nothing sent until the worker runs it
    stored = refreshed(invitation)
    assert stored.token_hash is None and stored.status == InvitationStatus.PENDING


def test_nothing_is_enqueued_when_the_transaction_rolls_back(settings, invitee):
    settings.TASKS = DUMMY
    from django_tasks import default_task_backend

    default_task_backend.clear()
    invitations_send(users=[invitee])  # the test's transaction never commits

    assert default_task_backend.results == []


def test_a_task_run_twice_sends_one_mail(
    immediate_tasks, invitee, django_capture_on_commit_callbacks
):
    from grove.accounts.invitations import deliver_invitation

    [invitation] = send([invitee], capture=django_capture_on_commit_callbacks)
    again = deliver_invitation(
        invitation_id=str(invitation.pk), organization_id=str(invitation.organization_id)
    )

    assert again is False
    assert len(mail.outbox) == 1


def test_it_skips_activated_deactivated_and_staff_accounts(
    immediate_tasks, alice, csm, org_a, django_capture_on_commit_callbacks
):
    inactive = UserFactory(organization=org_a, password=None, is_active=False)

    sent = send([alice, csm, inactive], capture=django_capture_on_commit_callbacks)

    assert sent == []
    assert not mail.outbox
    with unscoped("test"):
        assert not Invitation.objects.exists()


def test_sending_again_revokes_the_previous_link(
    immediate_tasks, invitee, bob, django_capture_on_commit_callbacks, audit_events
):
    [first] = send([invitee], actor=bob, capture=django_capture_on_commit_callbacks)
    first_token = link_token(mail.outbox[0])
    with django_capture_on_commit_callbacks(execute=True):
        second = invitation_resend(actor=bob, invitation=first)

    assert refreshed(first).status == InvitationStatus.REVOKED
    assert invitation_for_token(first_token).state == "invalid"
    second_token = link_token(mail.outbox[1])
    assert second_token != first_token
    assert invitation_for_token(second_token).invitation.pk == second.pk
    [_, event] = audit_events(AuditAction.INVITATION_SENT)
    assert event.object_ids == [str(second.pk)]
    assert event.details == {"revoked": [str(first.pk)]}
    assert event.actor_id == bob.pk
    assert event.subject_user_id == invitee.pk
    assert_nowhere_in(event, "dora@a.example", "Dora", "Dupont")


def test_one_pending_invitation_per_person(
    immediate_tasks, invitee, django_capture_on_commit_callbacks
):
    send([invitee], capture=django_capture_on_commit_callbacks)
    send([invitee], capture=django_capture_on_commit_callbacks)

    with tenant_context(invitee.organization_id):
        pending = Invitation.objects.filter(
            user=invitee, revoked_at__isnull=True, accepted_at__isnull=True
        )
        assert pending.count() == 1


def test_revoke_stops_the_link_and_is_recorded(
    immediate_tasks, invitee, bob, django_capture_on_commit_callbacks, audit_events
):
    [invitation] = send([invitee], capture=django_capture_on_commit_callbacks)
    token = link_token(mail.outbox[0])

    assert invitation_revoke(actor=bob, invitation=invitation) is True
    assert invitation_revoke(actor=bob, invitation=invitation) is False

    assert invitation_for_token(token).state == "invalid"
    [event] = audit_events(AuditAction.INVITATION_REVOKED)
    assert event.object_ids == [str(invitation.pk)]
    assert event.actor_id == bob.pk


def test_a_member_may_not_resend_nor_revoke(
    immediate_tasks, invitee, alice, django_capture_on_commit_callbacks
):
    [invitation] = send([invitee], capture=django_capture_on_commit_callbacks)

    with pytest.raises(PermissionDenied):
        invitation_revoke(actor=alice, invitation=invitation)
    with pytest.raises(PermissionDenied):
        invitation_resend(actor=alice, invitation=invitation)


def test_another_organizations_manager_may_not_revoke(
    immediate_tasks, invitee, org_b, django_capture_on_commit_callbacks
):
    [invitation] = send([invitee], capture=django_capture_on_commit_callbacks)
    other_manager = UserFactory(organization=org_b, org_role=OrgRole.MANAGER)

    with pytest.raises(PermissionDenied):
        invitation_revoke(actor=other_manager, invitation=invitation)
    assert refreshed(invitation).revoked_at is None


def test_an_expired_invitation_is_not_sent(settings, invitee, django_capture_on_commit_callbacks):
    from grove.accounts.invitations import deliver_invitation

    settings.TASKS = DUMMY
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    [invitation] = send([invitee], capture=django_capture_on_commit_callbacks)

    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        sent = deliver_invitation(
            invitation_id=str(invitation.pk), organization_id=str(invitation.organization_id)
        )

    assert sent is False
    assert not mail.outbox


def test_the_link_expires(immediate_tasks, invitee, django_capture_on_commit_callbacks):
    send([invitee], capture=django_capture_on_commit_callbacks)
    token = link_token(mail.outbox[0])

    with time_machine.travel(timezone.now() + datetime.timedelta(days=7, minutes=1)):
        assert invitation_for_token(token).state == "expired"


# --- Delivery reports -----------------------------------------------------------------------


@pytest.fixture
def sent_invitation(immediate_tasks, invitee, django_capture_on_commit_callbacks):
    [invitation] = send([invitee], capture=django_capture_on_commit_callbacks)
    with tenant_context(invitation.organization_id):
        Invitation.objects.filter(pk=invitation.pk).update(provider_message_id="<m1@brevo>")
    return refreshed(invitation)


def test_a_bounce_marks_the_invitation(sent_invitation, audit_events):
    changed = invitation_delivery_event(event_type="bounced", message_id="<m1@brevo>")

    assert changed.pk == sent_invitation.pk
    stored = refreshed(sent_invitation)
    assert stored.delivery_status == DeliveryStatus.BOUNCED
    assert stored.status == InvitationStatus.BOUNCED
    [event] = audit_events(AuditAction.INVITATION_DELIVERY)
    assert event.details == {"delivery_status": "bounced"}
    assert event.object_ids == [str(sent_invitation.pk)]
    assert event.organization_id == sent_invitation.organization_id


def test_a_delivered_report_never_hides_a_complaint(sent_invitation, audit_events):
    invitation_delivery_event(event_type="complained", message_id="<m1@brevo>")
    invitation_delivery_event(event_type="delivered", message_id="<m1@brevo>")

    assert refreshed(sent_invitation).delivery_status == DeliveryStatus.COMPLAINED
    assert len(audit_events(AuditAction.INVITATION_DELIVERY)) == 1


def test_delivered_is_kept_without_an_event(sent_invitation, audit_events):
    invitation_delivery_event(event_type="delivered", message_id="<m1@brevo>")

    assert refreshed(sent_invitation).delivery_status == DeliveryStatus.DELIVERED
    assert audit_events(AuditAction.INVITATION_DELIVERY) == []


def test_unknown_messages_and_other_events_are_ignored(sent_invitation):
    assert invitation_delivery_event(event_type="bounced", message_id="<other@brevo>") is None
    assert invitation_delivery_event(event_type="opened", message_id="<m1@brevo>") is None
    assert invitation_delivery_event(event_type="bounced", message_id="") is None
    assert refreshed(sent_invitation).delivery_status == ""


class FailingBackend:
    """A mail backend whose transport error names the address, as SMTP errors do."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError(f"550 mailbox {messages[0].to[0]} unavailable")


def test_a_transport_error_stores_nothing_and_logs_no_address(
    settings, invitee, django_capture_on_commit_callbacks, caplog
):
    from grove.accounts.invitations import deliver_invitation

    settings.TASKS = DUMMY
    [invitation] = send([invitee], capture=django_capture_on_commit_callbacks)
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"

    with pytest.raises(RuntimeError) as raised:
        deliver_invitation(
            invitation_id=str(invitation.pk), organization_id=str(invitation.organization_id)
        )

    assert "dora" not in str(raised.value) and raised.value.__cause__ is None
    assert "dora" not in caplog.text and "OSError" in caplog.text
    stored = refreshed(invitation)
    assert stored.token_hash is None and stored.sent_at is None  # the task may run again
