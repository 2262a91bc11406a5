"""enforce_retention: the due dates, the order of a run, holds, failures, the dry run.

The purge itself is the engine's (tested in test_purge*.py and end to end in test_timeline.py):
here a fake stands in for it, recording what it was asked to do.
"""

from __future__ import annotations

import datetime
import re
from types import SimpleNamespace

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from grove.accounts.models import OrgRole
from grove.audit.models import AuditAction, AuditEvent
from grove.core.testing.factories import UserFactory
from grove.retention import enforce
from grove.retention.enforce import (
    DONE,
    DUE,
    END_CONTRACT,
    END_NOTICE,
    FAILED,
    HELD,
    ORG_DATA,
    ORG_LOGS,
    PURGE_WARNING,
    USER,
    WAITING,
    enforce_retention,
)
from grove.retention.holds import hold_place, hold_release
from grove.retention.models import (
    CertificateStatus,
    DeletionCertificate,
    ExportStatus,
    OrganizationExport,
    PurgeKind,
)
from grove.retention.org_export import build_organization_export
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

from .conftest import table_counts

END = datetime.date(2027, 3, 31)  # the contract's last day in these tests


def at(day: datetime.date, hour: int = 3) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.UTC)


def day_after(days: int) -> datetime.date:
    return END + datetime.timedelta(days=days)


@pytest.fixture(autouse=True)
def _tasks_not_run(settings):
    # The export build is a task: the tests run it themselves (build_ready below).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def ending(org_a, bob):
    """Organization A, its contract's last day END, Bob its manager."""
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_a.pk).update(contract_end=END)
        org_a.refresh_from_db()
    return org_a


@pytest.fixture
def fake_purge(monkeypatch):
    """Stands in for the engine: records each call, marks the organization as the engine
    would, returns a completed certificate."""
    calls: list[tuple] = []

    def run_organization_purge(*, organization, kind, rule, due_on, run_by, now=None):
        calls.append((organization.slug, kind, rule, due_on, run_by))
        status = Organization.Status.PURGED if kind == ORG_DATA else Organization.Status.TOMBSTONE
        with unscoped("test: the fake purge"):
            Organization.objects.filter(pk=organization.pk).update(status=status)
            return DeletionCertificate.objects.create(
                organization=organization,
                kind=kind,
                rule=rule,
                due_on=due_on,
                run_by=run_by,
                status=CertificateStatus.COMPLETED,
                total_rows=7,
            )

    def purge_departed_user(*, user, rule, due_on, run_by):
        calls.append((user.email, USER, rule, due_on, run_by))
        with unscoped("test: the fake purge"):
            type(user).objects.filter(pk=user.pk).update(erased_at=timezone.now())
            return DeletionCertificate.objects.create(
                organization_id=user.organization_id,
                kind=USER,
                rule=rule,
                due_on=due_on,
                run_by=run_by,
                status=CertificateStatus.COMPLETED,
            )

    fake = SimpleNamespace(
        run_organization_purge=run_organization_purge,
        purge_departed_user=purge_departed_user,
        calls=calls,
    )
    monkeypatch.setattr(enforce, "_purge_module", lambda: fake)
    return fake


def build_ready(organization) -> None:
    """Run the export builds the run enqueued (what the worker does)."""
    with unscoped("test: the pending exports"):
        pending = list(
            OrganizationExport.objects.filter(
                organization_id=organization.pk, status=ExportStatus.PENDING
            ).values_list("pk", flat=True)
        )
    for export_id in pending:
        build_organization_export(export_id)


def run(day: datetime.date, **kwargs):
    with time_machine.travel(at(day), tick=False):
        return enforce_retention(**kwargs)


def reload(organization) -> Organization:
    with unscoped("test"):
        return Organization.objects.get(pk=organization.pk)


def events(action: str) -> list[AuditEvent]:
    with unscoped("test"):
        return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- Due dates ------------------------------------------------------------------------------


def test_the_dates_follow_the_contract_end(ending, settings):
    settings.GROVE_RETENTION_GRACE_DAYS = 30
    settings.GROVE_RETENTION_LOG_DAYS = 90
    settings.GROVE_RETENTION_WARNING_DAYS = 7
    assert enforce.data_purge_date(ending) == day_after(30)
    assert enforce.warning_date(ending) == day_after(23)
    assert enforce.log_purge_date(ending) == day_after(90)
    assert not enforce.contract_end_due(ending, END)
    assert enforce.contract_end_due(ending, day_after(1))


def test_the_data_purge_waits_a_full_warning_week_when_the_warning_went_out_late(ending):
    ending.status = Organization.Status.ENDED
    ending.end_notice_sent_at = at(day_after(1))
    assert not enforce.data_purge_due(ending, day_after(40))  # no warning: no purge
    ending.purge_warning_sent_at = at(day_after(23))
    assert not enforce.data_purge_due(ending, day_after(29))
    assert enforce.data_purge_due(ending, day_after(30))
    ending.purge_warning_sent_at = at(day_after(28))  # the scheduler was down for 5 days
    assert enforce.data_purge_day(ending) == day_after(35)
    assert not enforce.data_purge_due(ending, day_after(34))
    assert enforce.data_purge_due(ending, day_after(35))


def test_a_departed_member_is_due_grace_days_after_deprovisioning(org_a, settings):
    settings.GROVE_RETENTION_GRACE_DAYS = 30
    left = UserFactory(
        organization=org_a,
        org_role=OrgRole.MEMBER,
        is_active=False,
        deprovisioned_at=at(END, hour=23),
    )
    assert enforce.user_purge_date(left) == day_after(30)
    assert not enforce.user_purge_due(left, day_after(29))
    assert enforce.user_purge_due(left, day_after(30))
    left.erased_at = timezone.now()
    assert not enforce.user_purge_due(left, day_after(30))


# --- The run --------------------------------------------------------------------------------


def test_the_contract_ends_the_day_after_its_last_day_and_the_notice_waits_for_the_export(
    ending, bob, fake_purge
):
    assert run(END).outcomes == []
    assert reload(ending).status == Organization.Status.ACTIVE

    report = run(day_after(1))
    assert [(o.step, o.result) for o in report.outcomes] == [
        (END_CONTRACT, DONE),
        (END_NOTICE, WAITING),
    ]
    org = reload(ending)
    assert org.status == Organization.Status.ENDED
    assert org.end_reason == Organization.EndReason.CONTRACT_END_DATE
    assert org.end_notice_sent_at is None
    assert mail.outbox == []
    assert len(events(AuditAction.CONTRACT_ENDED)) == 1

    build_ready(ending)  # the worker builds the export
    report = run(day_after(1), now=None)
    assert [(o.step, o.result) for o in report.outcomes] == [(END_NOTICE, DONE)]
    assert [m.to for m in mail.outbox] == [[bob.email]]
    assert "/retention/export/" in mail.outbox[0].body
    assert reload(ending).end_notice_sent_at == at(day_after(1))

    assert run(day_after(1)).outcomes == []  # a second run the same day: nothing new
    assert len(mail.outbox) == 1
    assert len(events(AuditAction.CONTRACT_ENDED)) == 1
    assert len(events(AuditAction.RETENTION_NOTICE_SENT)) == 1


def test_the_warning_goes_seven_days_before_the_purge_then_the_purge_runs(ending, bob, fake_purge):
    run(day_after(1))
    build_ready(ending)
    run(day_after(1))
    assert run(day_after(22)).outcomes == []
    report = run(day_after(23))
    assert [(o.step, o.result) for o in report.outcomes] == [(PURGE_WARNING, DONE)]
    assert len(mail.outbox) == 2
    assert reload(ending).purge_warning_sent_at == at(day_after(23))
    assert run(day_after(29)).outcomes == []
    assert fake_purge.calls == []

    report = run(day_after(30))
    assert [(o.step, o.result) for o in report.outcomes] == [(ORG_DATA, DONE)]
    assert fake_purge.calls == [("org-a", ORG_DATA, "contract_end+30d", day_after(30), "scheduler")]
    assert run(day_after(89)).outcomes == []
    report = run(day_after(90))
    assert [(o.step, o.result) for o in report.outcomes] == [(ORG_LOGS, DONE)]
    assert fake_purge.calls[-1] == (
        "org-a",
        ORG_LOGS,
        "contract_end+90d",
        day_after(90),
        "scheduler",
    )
    assert run(day_after(200)).outcomes == []


def ended_and_warned(organization) -> None:
    with unscoped("test set-up"):
        Organization.objects.filter(pk=organization.pk).update(
            status=Organization.Status.ENDED,
            ended_at=at(day_after(1)),
            end_notice_sent_at=at(day_after(1)),
            purge_warning_sent_at=at(day_after(23)),
        )


def test_a_hold_stops_the_purge_is_recorded_once_and_the_purge_runs_the_day_after_it_ends(
    ending, security_officer, fake_purge
):
    ended_and_warned(ending)
    with time_machine.travel(at(day_after(20)), tick=False):
        hold = hold_place(
            actor=security_officer,
            organization=ending,
            reason="Litigation",
            until=day_after(40),
        )
    report = run(day_after(30))
    assert [(o.step, o.result) for o in report.outcomes] == [(ORG_DATA, HELD)]
    assert report.outcomes[0].detail["until"] == day_after(40).isoformat()
    run(day_after(31))
    run(day_after(40))
    held = events(AuditAction.PURGE_HELD)
    assert len(held) == 1
    assert held[0].organization_id == ending.pk
    assert held[0].object_ids == [str(hold.pk)]
    assert fake_purge.calls == []

    report = run(day_after(41))
    assert [(o.step, o.result) for o in report.outcomes] == [(ORG_DATA, DONE)]

    # The same hold, placed again on the logs, is recorded for that purge too.
    with time_machine.travel(at(day_after(85)), tick=False):
        hold_place(actor=security_officer, organization=ending, reason="Audit", until=day_after(95))
    assert [o.result for o in run(day_after(90)).outcomes] == [HELD]
    assert len(events(AuditAction.PURGE_HELD)) == 2
    with time_machine.travel(at(day_after(91)), tick=False):
        for h in enforce.holds.holds_in_force(ending, day_after(91)):
            hold_release(actor=security_officer, hold=h, reason="Settled")
    assert [o.result for o in run(day_after(91)).outcomes] == [DONE]


def test_a_member_hold_stops_the_organization_purge_too(
    ending, alice, security_officer, fake_purge
):
    ended_and_warned(ending)
    with time_machine.travel(at(day_after(20)), tick=False):
        hold_place(
            actor=security_officer,
            organization=ending,
            reason="Case",
            until=day_after(32),
            user=alice,
        )
    assert [o.result for o in run(day_after(30)).outcomes] == [HELD]
    assert [o.result for o in run(day_after(33)).outcomes] == [DONE]


def test_one_organization_failing_does_not_stop_the_others(
    ending, org_b, fake_purge, monkeypatch, caplog
):
    ended_and_warned(ending)
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_b.pk).update(contract_end=END)
    ended_and_warned(org_b)
    real = fake_purge.run_organization_purge

    def failing_for_a(*, organization, **kwargs):
        if organization.slug == "org-a":
            raise RuntimeError("disk full for alice@a.example")
        return real(organization=organization, **kwargs)

    fake_purge.run_organization_purge = failing_for_a
    report = run(day_after(30))
    assert [(o.slug, o.step, o.result) for o in report.outcomes] == [
        ("org-a", ORG_DATA, FAILED),
        ("org-b", ORG_DATA, DONE),
    ]
    assert report.outcomes[0].detail == {"error": "RuntimeError"}
    assert not report.ok
    assert "alice" not in str(report)
    (logged,) = [r for r in caplog.records if r.name == "grove.retention.enforce"]
    assert str(ending.pk) in logged.getMessage()
    assert "failing_for_a" in logged.getMessage()  # where it happened
    assert "alice" not in logged.getMessage() and not logged.exc_info
    assert reload(org_b).status == Organization.Status.PURGED
    assert reload(ending).status == Organization.Status.ENDED


def test_a_running_purge_is_resumed_first(ending, fake_purge):
    ended_and_warned(ending)
    with unscoped("test set-up"):
        DeletionCertificate.objects.create(
            organization=ending,
            kind=PurgeKind.ORGANIZATION_DATA,
            rule="contract_end+30d",
            due_on=day_after(30),
            run_by="scheduler",
        )
    report = run(day_after(31))
    assert [(o.step, o.result) for o in report.outcomes] == [(enforce.RESUME, DONE)]
    assert fake_purge.calls == [("org-a", ORG_DATA, "contract_end+30d", day_after(30), "scheduler")]


def test_departed_members_are_purged_after_the_grace_period(org_a, alice, fake_purge):
    left = UserFactory(
        email="left@a.example",
        organization=org_a,
        org_role=OrgRole.MEMBER,
        is_active=False,
        deprovisioned_at=at(END),
    )
    assert run(day_after(29)).outcomes == []
    report = run(day_after(30))
    assert [(o.step, o.result, o.detail["user"]) for o in report.outcomes] == [
        (USER, DONE, str(left.pk))
    ]
    assert fake_purge.calls == [
        ("left@a.example", USER, "deprovisioned+30d", day_after(30), "scheduler")
    ]
    assert run(day_after(30)).outcomes == []


def test_only_the_organization_asked_for(ending, org_b, fake_purge):
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_b.pk).update(contract_end=END)
    report = run(day_after(1), organization=org_b)
    assert {o.slug for o in report.outcomes} == {"org-b"}
    assert reload(ending).status == Organization.Status.ACTIVE


def test_a_dry_run_changes_nothing(retention_world, org_b, fake_purge, security_officer):
    ending = retention_world.a.organization
    with unscoped("test set-up"):
        Organization.objects.filter(pk__in=[ending.pk, org_b.pk]).update(contract_end=END)
    ended_and_warned(ending)  # A: its data purge is due; B: its contract ends
    UserFactory(
        organization=org_b,
        org_role=OrgRole.MEMBER,
        is_active=False,
        deprovisioned_at=at(END),
    )
    before = table_counts()
    mail.outbox.clear()
    report = run(day_after(30), dry_run=True)
    assert table_counts() == before
    assert mail.outbox == []
    assert fake_purge.calls == []
    assert report.dry_run
    found = {(o.slug, o.step, o.result) for o in report.outcomes}
    assert found == {
        ("org-a", ORG_DATA, DUE),
        ("org-b", END_CONTRACT, DUE),
        ("org-b", END_NOTICE, DUE),
        ("org-b", USER, DUE),
    }
    (purge,) = report.of(ORG_DATA)
    rows = {row["model"]: row for row in purge.detail["counts"]}
    assert rows["practices.Practice"]["rows"] == 3
    assert rows["practices.Practice"]["action"] == "deleted"
    assert "practices.Practice: 3 row(s) deleted" in str(report)
    assert "@" not in str(report)


def test_a_dry_run_reports_a_hold_without_recording_it(ending, security_officer, fake_purge):
    ended_and_warned(ending)
    with time_machine.travel(at(day_after(20)), tick=False):
        hold_place(actor=security_officer, organization=ending, reason="Case", until=day_after(40))
    before = table_counts()
    report = run(day_after(30), dry_run=True)
    assert [(o.step, o.result) for o in report.outcomes] == [(ORG_DATA, HELD)]
    assert table_counts() == before


def test_after_a_late_start_the_managers_still_get_their_notice_then_a_full_warning_week(
    ending, bob, fake_purge
):
    """The scheduler was down from before the contract's end until day 40."""
    run(day_after(40))
    build_ready(ending)
    report = run(day_after(40))
    assert [(o.step, o.result) for o in report.of(END_NOTICE)] == [(END_NOTICE, DONE)]
    assert report.of(PURGE_WARNING) == []  # not the same day as the notice
    assert report.of(ORG_DATA) == [report.of(ORG_DATA, WAITING)[0]]
    (notice,) = mail.outbox
    assert "May 18, 2027" in notice.body  # day 48: the warning tomorrow, then its week

    report = run(day_after(41))
    assert [o.result for o in report.of(PURGE_WARNING)] == [DONE]
    assert "May 18, 2027" in mail.outbox[-1].body
    assert run(day_after(47)).of(ORG_DATA, DONE) == []
    assert fake_purge.calls == []
    assert [o.result for o in run(day_after(48)).of(ORG_DATA)] == [DONE]
    assert fake_purge.calls == [("org-a", ORG_DATA, "contract_end+30d", day_after(48), "scheduler")]


def test_after_a_late_start_the_notices_link_still_works(ending, bob, fake_purge, client):
    run(day_after(40))
    build_ready(ending)
    with time_machine.travel(at(day_after(40)), tick=False):
        enforce_retention()
        link = re.search(r"https?://[^/\s]+(/retention/export/\S+/)", mail.outbox[0].body)
        assert client.get(link.group(1)).status_code == 200
