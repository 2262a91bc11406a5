"""Invitations in bulk (an import's batch of people): set-based writes, one audit event, one
task per chunk of ids, and the task's batch delivery (each mail once, failures isolated)."""

import math
import re

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grove.accounts import invitations as invitations_module
from grove.accounts.invitations import (
    deliver_invitations,
    invitation_for_token,
    invitations_send,
    token_hash,
)
from grove.accounts.models import Invitation, InvitationStatus
from grove.audit.models import AuditAction
from grove.core.testing.factories import UserFactory
from grove.tenancy.context import tenant_context, unscoped

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
LINK = re.compile(r"https?://\S+/accounts/invitation/([A-Za-z0-9_\-]+)/")


@pytest.fixture
def dummy_tasks(settings):
    from django_tasks import default_task_backend

    settings.TASKS = DUMMY
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    default_task_backend.clear()
    return default_task_backend


def people(org, count, **kwargs):
    return [UserFactory(organization=org, password=None, **kwargs) for _ in range(count)]


def all_invitations():
    with unscoped("test: read the invitations"):
        return list(Invitation.objects.order_by("created_at", "pk"))


def pending_of(user):
    with tenant_context(user.organization_id):
        return list(
            Invitation.objects.filter(user=user, accepted_at__isnull=True, revoked_at__isnull=True)
        )


def run(result):
    """Run an enqueued task's function as a worker would."""
    return result.task.call(*result.args, **result.kwargs)


def test_n_people_make_n_invitations_one_event_and_one_task_with_ids_only(
    dummy_tasks, org_a, bob, audit_events, django_capture_on_commit_callbacks
):
    invitees = people(org_a, 7)

    with django_capture_on_commit_callbacks(execute=True):
        sent = invitations_send(users=invitees, actor=bob)

    assert len(sent) == 7
    assert {i.user_id for i in all_invitations()} == {u.pk for u in invitees}
    [event] = audit_events(AuditAction.INVITATION_SENT)
    assert sorted(event.object_ids) == sorted(str(i.pk) for i in sent)
    assert event.actor_id == bob.pk
    assert event.subject_user_id is None  # several people: the ids name them
    assert event.details == {}
    [result] = dummy_tasks.results
    assert result.task.name == "send_invitations"
    ids, organization_id = result.args
    assert sorted(ids) == sorted(str(i.pk) for i in sent)
    assert all(isinstance(pk, str) for pk in ids)
    assert organization_id == str(org_a.pk)
    assert result.kwargs == {}
    args_text = repr(result.args)
    for user in invitees:
        assert user.email not in args_text and user.last_name not in args_text
    assert not mail.outbox


def test_the_invitations_are_split_into_tasks_of_a_chunk_each(
    dummy_tasks, org_a, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(invitations_module, "INVITATIONS_PER_TASK", 3)
    invitees = people(org_a, 8)

    with django_capture_on_commit_callbacks(execute=True):
        sent = invitations_send(users=invitees)

    results = dummy_tasks.results
    assert len(results) == math.ceil(8 / 3)
    assert [len(r.args[0]) for r in results] == [3, 3, 2]
    assert sorted(pk for r in results for pk in r.args[0]) == sorted(str(i.pk) for i in sent)


def test_the_writes_are_set_based(dummy_tasks, org_a, django_capture_on_commit_callbacks):
    few, many = people(org_a, 2), people(org_a, 40)
    invitations_send(users=few + many)  # everyone has a pending invitation to revoke

    def queries(users):
        with CaptureQueriesContext(connection) as captured:
            invitations_send(users=users)
        return len(captured)

    assert queries(many) == queries(few)


def test_the_previous_pending_invitations_are_revoked_in_bulk(
    dummy_tasks, org_a, audit_events, django_capture_on_commit_callbacks
):
    invitees = people(org_a, 4)
    with django_capture_on_commit_callbacks(execute=True):
        first = invitations_send(users=invitees[:3])
    with django_capture_on_commit_callbacks(execute=True):
        second = invitations_send(users=invitees)

    assert len(second) == 4
    for user in invitees:
        [pending] = pending_of(user)
        assert pending.pk in {i.pk for i in second}
    with unscoped("test"):
        assert all(
            Invitation.objects.get(pk=i.pk).status == InvitationStatus.REVOKED for i in first
        )
    [_, event] = audit_events(AuditAction.INVITATION_SENT)
    assert sorted(event.details["revoked"]) == sorted(str(i.pk) for i in first)


def test_a_person_listed_twice_gets_one_invitation(
    dummy_tasks, org_a, django_capture_on_commit_callbacks
):
    [dora] = people(org_a, 1)

    sent = invitations_send(users=[dora, dora])

    assert len(sent) == 1
    assert len(pending_of(dora)) == 1


def test_people_of_two_organizations_make_one_event_and_task_each(
    dummy_tasks, org_a, org_b, audit_events, django_capture_on_commit_callbacks
):
    a_people, b_people = people(org_a, 2), people(org_b, 3)

    with unscoped("test: a staff tool"), django_capture_on_commit_callbacks(execute=True):
        invitations_send(users=a_people + b_people)

    events = audit_events(AuditAction.INVITATION_SENT)
    assert sorted(len(e.object_ids) for e in events) == [2, 3]
    assert {e.organization_id for e in events} == {org_a.pk, org_b.pk}
    assert sorted(r.args[1] for r in dummy_tasks.results) == sorted([str(org_a.pk), str(org_b.pk)])


def test_a_batch_skips_activated_deactivated_and_staff_accounts(
    dummy_tasks, org_a, alice, csm, django_capture_on_commit_callbacks
):
    invitees = people(org_a, 2)
    inactive = UserFactory(organization=org_a, password=None, is_active=False)

    with unscoped("test: staff and members together"):
        sent = invitations_send(users=[alice, csm, inactive, *invitees])

    assert {i.user_id for i in sent} == {u.pk for u in invitees}


def test_one_task_mails_each_person_in_their_language(
    dummy_tasks, org_a, django_capture_on_commit_callbacks
):
    english = UserFactory(organization=org_a, password=None, first_name="Ed", language="en")
    french = UserFactory(organization=org_a, password=None, first_name="Fanny", language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        sent = invitations_send(users=[english, french])
    [result] = dummy_tasks.results

    assert run(result) == {"sent": 2, "skipped": 0, "failed": 0}

    by_address = {m.to[0]: m for m in mail.outbox}
    assert len(mail.outbox) == 2
    assert "Hello Ed," in by_address[english.email].body
    assert "Bonjour Fanny," in by_address[french.email].body
    for message in mail.outbox:
        token = LINK.search(message.body).group(1)
        found = invitation_for_token(token)
        assert found.state == "usable"
        assert found.invitation.pk in {i.pk for i in sent}
        assert found.invitation.token_hash == token_hash(token)


def test_a_task_run_again_sends_nothing_more(
    dummy_tasks, org_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitations_send(users=people(org_a, 3))
    [result] = dummy_tasks.results

    run(result)
    assert run(result) == {"sent": 0, "skipped": 3, "failed": 0}

    assert len(mail.outbox) == 3


def test_the_immediate_backend_mails_a_batch_after_commit(
    settings, org_a, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitations_send(users=people(org_a, 3))
        assert not mail.outbox  # nothing before the commit
    for callback in callbacks:
        callback()

    assert len(mail.outbox) == 3
    assert all(i.status == InvitationStatus.SENT for i in all_invitations())


class OneFailureBackend(LocmemBackend):
    """Delivers like locmem, except that it raises for the address in ``FAIL_FOR`` (with the
    address in the error's text, as SMTP errors have). Counts the connections opened."""

    FAIL_FOR = ""
    opened = 0

    def open(self):
        type(self).opened += 1
        return True

    def send_messages(self, messages):
        for message in messages:
            if self.FAIL_FOR in message.to:
                raise OSError(f"550 mailbox {message.to[0]} unavailable")
        return super().send_messages(messages)


def test_one_failing_mail_leaves_it_unsent_and_does_not_stop_the_others(
    settings, dummy_tasks, org_a, django_capture_on_commit_callbacks, caplog
):
    invitees = people(org_a, 3)
    with django_capture_on_commit_callbacks(execute=True):
        sent = invitations_send(users=invitees)
    [result] = dummy_tasks.results
    failing = invitees[1]
    settings.EMAIL_BACKEND = f"{__name__}.OneFailureBackend"
    OneFailureBackend.FAIL_FOR = failing.email
    OneFailureBackend.opened = 0

    with pytest.raises(RuntimeError) as raised:
        run(result)

    assert str(raised.value) == "1 of 3 invitation mails not sent (2 sent, 0 skipped)"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([invitees[0].email, invitees[2].email])
    stored = {i.user_id: i for i in all_invitations()}
    assert stored[failing.pk].token_hash is None and stored[failing.pk].sent_at is None
    assert stored[failing.pk].status == InvitationStatus.PENDING
    assert stored[invitees[0].pk].status == InvitationStatus.SENT
    assert "OSError" in caplog.text
    assert failing.email not in caplog.text
    assert failing.email not in str(raised.value)
    assert OneFailureBackend.opened == 2  # one for the batch, one new after the error

    # The transport recovers: a re-run sends only the one left.
    OneFailureBackend.FAIL_FOR = ""
    report = deliver_invitations(
        invitation_ids=[str(i.pk) for i in sent], organization_id=str(org_a.pk)
    )
    assert (report.sent, report.skipped, report.failed) == (1, 2, 0)
    assert len(mail.outbox) == 3
