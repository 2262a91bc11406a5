"""grant_expire_due, the expire_grants task and command: GRANT_EXPIRED once per ended grant."""

import datetime

import time_machine
from django.core.management import call_command
from django.utils import timezone

from grove.audit.models import AuditAction
from grove.staff.actions import grant_expire_due
from grove.staff.models import AccessGrant
from grove.staff.tasks import expire_grants
from grove.tenancy.context import unscoped


def test_it_records_each_expired_grant_once(tech, csm, org_a, org_b, make_grant, audit_events):
    past = timezone.now() - datetime.timedelta(hours=3)
    expired_a = make_grant(tech, org_a, started=past, minutes=60)
    expired_b = make_grant(csm, org_b, started=past, minutes=120)
    make_grant(tech, org_b)  # still running
    make_grant(csm, org_a, started=past, minutes=60, status=AccessGrant.Status.REVOKED)

    assert set(grant_expire_due()) == {expired_a.pk, expired_b.pk}
    assert grant_expire_due() == []

    events = audit_events(AuditAction.GRANT_EXPIRED)
    assert {(e.grant_id, e.organization_id) for e in events} == {
        (expired_a.pk, org_a.pk),
        (expired_b.pk, org_b.pk),
    }
    assert all(e.actor_id is None and e.subject_user_id for e in events)
    with unscoped("test: read grants"):
        assert AccessGrant.objects.get(pk=expired_a.pk).expired_recorded_at is not None


def test_a_grant_is_recorded_once_its_end_has_passed(tech, org_a, make_grant, audit_events):
    grant = make_grant(tech, org_a, minutes=30)

    with time_machine.travel(grant.expires_at - datetime.timedelta(seconds=1)):
        assert grant_expire_due() == []
    with time_machine.travel(grant.expires_at + datetime.timedelta(seconds=1)):
        assert grant_expire_due() == [grant.pk]
    assert len(audit_events(AuditAction.GRANT_EXPIRED)) == 1


def test_the_task_calls_it(tech, org_a, make_grant, audit_events):
    make_grant(tech, org_a, started=timezone.now() - datetime.timedelta(hours=3), minutes=60)

    assert expire_grants.call() == 1
    assert len(audit_events(AuditAction.GRANT_EXPIRED)) == 1


def test_the_command_calls_it(tech, org_a, make_grant, audit_events, capsys):
    make_grant(tech, org_a, started=timezone.now() - datetime.timedelta(hours=3), minutes=60)

    call_command("expire_grants")

    assert "1 grant(s)" in capsys.readouterr().out
    assert len(audit_events(AuditAction.GRANT_EXPIRED)) == 1
