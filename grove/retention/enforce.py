"""The daily retention run: end the contracts that are due, warn the client's managers, purge.

``enforce_retention()`` is what the scheduler runs every day (``tasks.enforce_retention_daily``,
``manage.py enforce_retention``). Each run, in this order (docs/retention.md):

1. resume the organization purges a crash or a kill left RUNNING;
2. end the contracts whose last day has passed; mail each ended organization's managers the
   contract-end notice with the export link (the export built first: while it is not ready the
   notice waits for a later run);
3. mail the purge warning ``GROVE_RETENTION_WARNING_DAYS`` before the data purge;
4. purge the personal data of the organizations whose grace period is over (unless a legal hold
   is in force: PURGE_HELD is then recorded once per hold);
5. purge the logs of the organizations whose log period is over;
6. purge the departed members whose grace period is over.

The due dates are pure functions of an organization (or a member) and a day, below. A purge
never runs before its warning went out ``GROVE_RETENTION_WARNING_DAYS`` earlier: if the
scheduler stopped and the warning is late, the purge waits for it (the client always gets its
week). Every organization is handled in its own ``try``: one failure is logged (ids and the
error's type only) and reported, the others still run. A second run the same day does nothing
new: every step checks a recorded state (status, ``*_sent_at``, a certificate, an event).
"""

from __future__ import annotations

import datetime
import logging
import traceback
from dataclasses import dataclass, field
from typing import cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from grove.audit.events import record_event
from grove.audit.models import AuditAction, AuditEvent
from grove.privacy.datamap import Retention
from grove.privacy.retention import grace_days, log_days, purge_date
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

from . import holds, lifecycle, notices, org_export, plan
from .models import CertificateStatus, DeletionCertificate, ExportStatus, PurgeKind

logger = logging.getLogger(__name__)

Status = Organization.Status

# The steps of a run, as the report names them.
RESUME = "resume"
END_CONTRACT = "end_contract"
END_NOTICE = "end_notice"
PURGE_WARNING = "purge_warning"
ORG_DATA = PurgeKind.ORGANIZATION_DATA.value
ORG_LOGS = PurgeKind.ORGANIZATION_LOGS.value
USER = PurgeKind.USER.value

# What happened to a step: done (or would be, in a dry run), held by a legal hold, waiting for
# something (the export, the warning's week), failed.
DONE = "done"
DUE = "due"
HELD = "held"
WAITING = "waiting"
FAILED = "failed"


# --- Due dates: pure functions of an organization (or a member) and a day -------------------


def today_of(now: datetime.datetime) -> datetime.date:
    return timezone.localdate(now)


def data_purge_date(organization: Organization) -> datetime.date:
    """The first day the organization's personal data may be purged (contract end + grace)."""
    day = purge_date(organization.contract_end, Retention.CONTRACT)
    assert day is not None  # noqa: S101 -- CONTRACT always has a period
    return day


def log_purge_date(organization: Organization) -> datetime.date:
    """The first day the organization's logs may be purged (contract end + log days)."""
    day = purge_date(organization.contract_end, Retention.CONTRACT_PLUS_90D)
    assert day is not None  # noqa: S101 -- CONTRACT_PLUS_90D always has a period
    return day


def warning_date(organization: Organization) -> datetime.date:
    """The day the purge warning is due: the data purge date minus the warning days."""
    return data_purge_date(organization) - datetime.timedelta(
        days=settings.GROVE_RETENTION_WARNING_DAYS
    )


def contract_end_due(organization: Organization, today: datetime.date) -> bool:
    """An active organization ends the day after its contract's last day."""
    return organization.status == Status.ACTIVE and today > organization.contract_end


def end_notice_due(organization: Organization) -> bool:
    return organization.status == Status.ENDED and organization.end_notice_sent_at is None


def purge_warning_due(organization: Organization, today: datetime.date) -> bool:
    """Due from the warning date, once, on a day after the end notice's (when the run was late,
    the two mails do not arrive together)."""
    return (
        organization.status == Status.ENDED
        and organization.end_notice_sent_at is not None
        and timezone.localdate(organization.end_notice_sent_at) < today
        and organization.purge_warning_sent_at is None
        and today >= warning_date(organization)
    )


def expected_data_purge_day(organization: Organization, today: datetime.date) -> datetime.date:
    """The day the data purge will run, as the notices announce it on ``today``: the purge date,
    or later when the warning cannot go out in time (it goes no sooner than the day after the
    end notice, and the purge waits ``GROVE_RETENTION_WARNING_DAYS`` after it)."""
    if organization.purge_warning_sent_at is not None:
        return data_purge_day(organization) or data_purge_date(organization)
    notice = organization.end_notice_sent_at
    if notice is None or timezone.localdate(notice) >= today:
        earliest_warning = today + datetime.timedelta(days=1)
    else:
        earliest_warning = today
    warning = max(warning_date(organization), earliest_warning)
    return max(
        data_purge_date(organization),
        warning + datetime.timedelta(days=settings.GROVE_RETENTION_WARNING_DAYS),
    )


def data_purge_day(organization: Organization) -> datetime.date | None:
    """The day the data purge may run: the purge date, or later if the warning went out late
    (the managers always get ``GROVE_RETENTION_WARNING_DAYS``); None while it has not gone."""
    if organization.purge_warning_sent_at is None:
        return None
    warned = timezone.localdate(organization.purge_warning_sent_at)
    return max(
        data_purge_date(organization),
        warned + datetime.timedelta(days=settings.GROVE_RETENTION_WARNING_DAYS),
    )


def data_purge_due(organization: Organization, today: datetime.date) -> bool:
    day = data_purge_day(organization)
    return organization.status == Status.ENDED and day is not None and today >= day


def data_purge_waiting(organization: Organization, today: datetime.date) -> bool:
    """Past the purge date, but the warning's week is not over (or it has not gone)."""
    return (
        organization.status == Status.ENDED
        and today >= data_purge_date(organization)
        and not data_purge_due(organization, today)
    )


def log_purge_due(organization: Organization, today: datetime.date) -> bool:
    return organization.status == Status.PURGED and today >= log_purge_date(organization)


def user_purge_date(user) -> datetime.date:
    """A departed member's personal data goes ``grace_days`` after their deprovisioning."""
    return timezone.localdate(user.deprovisioned_at) + datetime.timedelta(days=grace_days())


def user_purge_due(user, today: datetime.date) -> bool:
    return (
        not user.is_active
        and user.deprovisioned_at is not None
        and user.erased_at is None
        and today >= user_purge_date(user)
    )


def data_rule() -> str:
    return f"contract_end+{grace_days()}d"


def logs_rule() -> str:
    return f"contract_end+{log_days()}d"


def user_rule() -> str:
    return f"deprovisioned+{grace_days()}d"


# --- The report -----------------------------------------------------------------------------


@dataclass
class Outcome:
    """One step for one organization (or member): ids, counts and categories, no names."""

    organization_id: str
    slug: str
    step: str
    result: str
    detail: dict = field(default_factory=dict)

    def line(self) -> str:
        extra = " ".join(f"{key}={value}" for key, value in self.detail.items() if key != "counts")
        text = f"{self.slug:<24} {self.step:<14} {self.result:<8} {extra}".rstrip()
        for row in self.detail.get("counts", []):
            text += (
                f"\n    {row.get('model', '')}: {row.get('rows', 0)} row(s) "
                f"{row.get('action', '')} [{row.get('category', '')}]"
            )
        return text


@dataclass
class RetentionReport:
    """What a run found due and what it did (printable: ``str(report)``)."""

    now: datetime.datetime
    dry_run: bool = False
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def today(self) -> datetime.date:
        return today_of(self.now)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.result == FAILED]

    @property
    def ok(self) -> bool:
        return not self.failures

    def of(self, step: str, result: str | None = None) -> list[Outcome]:
        return [o for o in self.outcomes if o.step == step and result in (None, o.result)]

    def add(self, organization, step: str, result: str, **detail) -> Outcome:
        outcome = Outcome(str(organization.pk), organization.slug, step, result, detail)
        self.outcomes.append(outcome)
        return outcome

    def summary(self) -> dict:
        """Counts per step and result (JSON, for the task's result)."""
        counts: dict[str, int] = {}
        for o in self.outcomes:
            counts[f"{o.step}.{o.result}"] = counts.get(f"{o.step}.{o.result}", 0) + 1
        return {"today": self.today.isoformat(), "dry_run": self.dry_run, "counts": counts}

    def __str__(self) -> str:
        head = f"retention run for {self.today.isoformat()}" + (
            " (dry run)" if self.dry_run else ""
        )
        if not self.outcomes:
            return head + ": nothing due"
        lines = [head + ":"] + [o.line() for o in self.outcomes]
        if self.failures:
            lines.append(f"{len(self.failures)} failure(s)")
        return "\n".join(lines)


# --- The run ----------------------------------------------------------------------------------


def enforce_retention(
    *,
    now: datetime.datetime | None = None,
    organization: Organization | None = None,
    dry_run: bool = False,
    run_by: str = "scheduler",
) -> RetentionReport:
    """Run every retention step due at ``now`` (default: now) for every organization, or only
    ``organization``. ``dry_run``: report what is due (purges with their counts per model and
    category) and change nothing: no row, no mail, no event, no task."""
    now = now or timezone.now()
    if timezone.is_naive(now):
        raise ValueError("enforce_retention needs an aware datetime")
    run = _Run(
        report=RetentionReport(now=now, dry_run=dry_run),
        now=now,
        today=today_of(now),
        dry_run=dry_run,
        run_by=run_by,
        only=organization,
    )
    with unscoped("retention: the daily run walks every organization's lifecycle"):
        run.resume_running()
        run.end_contracts()
        run.send_end_notices()
        run.send_purge_warnings()
        run.purge_organizations_data()
        run.purge_organizations_logs()
        run.purge_departed_users()
    return run.report


@dataclass
class _Run:
    report: RetentionReport
    now: datetime.datetime
    today: datetime.date
    dry_run: bool
    run_by: str
    only: Organization | None
    # Organizations that failed a step this run: their later steps wait for the next run.
    failed: set = field(default_factory=set)
    # (organization id, kind) purges already handled by the resume step this run.
    handled: set = field(default_factory=set)

    def organizations(self, *statuses: str):
        queryset = Organization.objects.filter(status__in=statuses).order_by("slug")
        if self.only is not None:
            queryset = queryset.filter(pk=self.only.pk)
        return [org for org in queryset if org.pk not in self.failed]

    def attempt(self, organization, step: str, work) -> None:
        """Run ``work()`` for one organization; a failure is logged and reported, not raised."""
        try:
            work()
        except Exception as error:  # one organization's failure must not stop the others
            self.failed.add(organization.pk)
            # The error's type and where it happened, not its message: a database error's
            # text can quote a row (an email in a unique-constraint violation).
            logger.error(
                "retention: %s failed for organization %s: %s\n%s",
                step,
                organization.pk,
                type(error).__name__,
                "".join(traceback.format_tb(error.__traceback__)),
            )
            self.report.add(organization, step, FAILED, error=type(error).__name__)

    # 1. Purges left running -----------------------------------------------------------------

    def resume_running(self) -> None:
        running = DeletionCertificate.objects.filter(status=CertificateStatus.RUNNING).exclude(
            kind=PurgeKind.USER
        )
        if self.only is not None:
            running = running.filter(organization_id=self.only.pk)
        for certificate in running.select_related("organization").order_by("started_at"):
            org = certificate.organization
            self.handled.add((org.pk, certificate.kind))
            self.attempt(org, RESUME, lambda c=certificate, o=org: self._resume(o, c))

    def _resume(self, org, certificate) -> None:
        if self._held(org, certificate.kind, step=RESUME):
            return
        if self.dry_run:
            self.report.add(
                org,
                RESUME,
                DUE,
                kind=certificate.kind,
                certificate=str(certificate.pk),
                counts=plan.dry_run_counts(org, certificate.kind),
            )
            return
        done = _purge_module().run_organization_purge(
            organization=org,
            kind=certificate.kind,
            rule=certificate.rule,
            due_on=certificate.due_on,
            run_by=self.run_by,
            now=self.now,
        )
        self.report.add(org, RESUME, DONE, **_certificate_detail(done))

    # 2. Contracts ending, and their notice --------------------------------------------------

    def end_contracts(self) -> None:
        for org in self.organizations(Status.ACTIVE):
            if contract_end_due(org, self.today):
                self.attempt(org, END_CONTRACT, lambda o=org: self._end_contract(o))

    def _end_contract(self, org) -> None:
        if self.dry_run:
            self.report.add(org, END_CONTRACT, DUE, contract_end=org.contract_end.isoformat())
            return
        lifecycle.end_contract(
            organization=org, now=self.now, reason=Organization.EndReason.CONTRACT_END_DATE
        )
        self.report.add(org, END_CONTRACT, DONE, contract_end=org.contract_end.isoformat())

    def send_end_notices(self) -> None:
        statuses = (Status.ACTIVE, Status.ENDED) if self.dry_run else (Status.ENDED,)
        for org in self.organizations(*statuses):
            if self.dry_run and contract_end_due(org, self.today):
                self.report.add(org, END_NOTICE, DUE)
            elif end_notice_due(org):
                self.attempt(org, END_NOTICE, lambda o=org: self._notice(o, END_NOTICE))

    def send_purge_warnings(self) -> None:
        for org in self.organizations(Status.ENDED):
            if purge_warning_due(org, self.today):
                self.attempt(org, PURGE_WARNING, lambda o=org: self._notice(o, PURGE_WARNING))

    def _notice(self, org, step: str) -> None:
        """Send the notice of ``step`` once the organization's export is ready; until then
        build it (a task) and wait for a later run."""
        if self.dry_run:
            self.report.add(org, step, DUE)
            return
        export = org_export.export_for(org)
        if export.status != ExportStatus.READY:
            _enqueue_export_build(export.pk)
            self.report.add(org, step, WAITING, export=str(export.pk))
            return
        send = (
            notices.send_contract_end_notice if step == END_NOTICE else notices.send_purge_warning
        )
        sent = send(org, now=self.now)
        self.report.add(org, step, DONE, recipients=sent)

    # 3. Purges ------------------------------------------------------------------------------

    def purge_organizations_data(self) -> None:
        for org in self.organizations(Status.ENDED):
            if (org.pk, ORG_DATA) in self.handled:
                continue
            if data_purge_due(org, self.today):
                self.attempt(org, ORG_DATA, lambda o=org: self._purge(o, ORG_DATA))
            elif data_purge_waiting(org, self.today):
                day = data_purge_day(org)
                self.report.add(org, ORG_DATA, WAITING, until=day.isoformat() if day else "warning")

    def purge_organizations_logs(self) -> None:
        for org in self.organizations(Status.PURGED):
            if (org.pk, ORG_LOGS) in self.handled:
                continue
            if log_purge_due(org, self.today):
                self.attempt(org, ORG_LOGS, lambda o=org: self._purge(o, ORG_LOGS))

    def _purge(self, org, kind: str) -> None:
        if self._held(org, kind):
            return
        # ORG_DATA is purged only once data_purge_due: its day is set.
        due_on = (
            cast(datetime.date, data_purge_day(org)) if kind == ORG_DATA else log_purge_date(org)
        )
        if self.dry_run:
            self.report.add(
                org,
                kind,
                DUE,
                due_on=due_on.isoformat(),
                counts=plan.dry_run_counts(org, kind),
            )
            return
        certificate = _purge_module().run_organization_purge(
            organization=org,
            kind=kind,
            rule=data_rule() if kind == ORG_DATA else logs_rule(),
            due_on=due_on,
            run_by=self.run_by,
            now=self.now,
        )
        self.report.add(org, kind, DONE, **_certificate_detail(certificate))

    def purge_departed_users(self) -> None:
        from grove.accounts.models import User

        for org in self.organizations(Status.ACTIVE, Status.ENDED):
            departed = User.objects.filter(
                organization=org,
                is_active=False,
                deprovisioned_at__isnull=False,
                erased_at__isnull=True,
            ).order_by("deprovisioned_at", "pk")
            due = [user for user in departed if user_purge_due(user, self.today)]
            for user in due:
                self.attempt(org, USER, lambda o=org, u=user: self._purge_user(o, u))
                if org.pk in self.failed:
                    break

    def _purge_user(self, org, user) -> None:
        if self._held(org, USER, user=user):
            return
        if self.dry_run:
            self.report.add(
                org, USER, DUE, user=str(user.pk), due_on=user_purge_date(user).isoformat()
            )
            return
        certificate = _purge_module().purge_departed_user(
            user=user, rule=user_rule(), due_on=user_purge_date(user), run_by=self.run_by
        )
        self.report.add(org, USER, DONE, user=str(user.pk), **_certificate_detail(certificate))

    # Legal holds ----------------------------------------------------------------------------

    def _held(self, org, kind: str, *, user=None, step: str = "") -> bool:
        """True (reported, PURGE_HELD recorded once per hold) when a hold stops this purge."""
        in_force = holds.holds_in_force(org, self.today, user=user)
        if not in_force:
            return False
        detail = {"holds": len(in_force), "until": max(h.until for h in in_force).isoformat()}
        if user is not None:
            detail["user"] = str(user.pk)
        self.report.add(org, step or kind, HELD, kind=kind, **detail)
        if not self.dry_run:
            record_purge_held(org, kind, in_force, user=user)
        return True


def record_purge_held(org, kind: str, in_force, *, user=None) -> list:
    """PURGE_HELD in the organization's access log, once per hold and purge (and member, for a
    member's purge): the CSM sees that a purge was due and what stopped it. Returns the holds
    newly recorded."""
    recorded = {
        (ids[0] if ids else "", str(event.subject_user_id or ""))
        for ids, event in (
            (event.object_ids, event)
            for event in AuditEvent.objects.filter(
                organization_id=org.pk,
                action=AuditAction.PURGE_HELD,
                details__purge=kind,
            )
        )
    }
    user_key = str(user.pk) if user is not None else ""
    new = [hold for hold in in_force if (str(hold.pk), user_key) not in recorded]
    if new:
        with transaction.atomic():
            for hold in new:
                record_event(
                    action=AuditAction.PURGE_HELD,
                    organization=org,
                    object_type="legal_hold",
                    object_ids=[hold.pk],
                    subject_user=user,
                    details={"purge": kind, "until": hold.until.isoformat()},
                )
    return new


def _purge_module():
    # Imported when a purge runs: the engine imports the notices, which import this module's
    # dates (no import cycle at load time).
    from . import purge

    return purge


def _certificate_detail(certificate) -> dict:
    return {
        "certificate": str(certificate.pk),
        "rows": certificate.total_rows,
        "files": certificate.files_deleted,
    }


def _enqueue_export_build(export_id) -> None:
    from .tasks import build_organization_export_task

    transaction.on_commit(lambda: build_organization_export_task.enqueue(str(export_id)))
