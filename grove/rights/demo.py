"""Demo data-subject requests for ``manage.py seed_demo``: one organization's console with a
request in each interesting state, one of them overdue (so the console's top shows it).

Rows are written directly, dated in the past, with their timeline steps; no mail leaves and
no access-log event is written (the demo's log history is written in order by
grove/accounts/demo.py, and events dated before it would break that order). Idempotent: an
organization that already has requests gets none.
"""

from __future__ import annotations

import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone

from grove.accounts.models import OrgRole, StaffRole, User
from grove.audit.models import AuditAction
from grove.staff.models import CsmAssignment
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

from .models import Channel, DataSubjectRequest, RefusalGround, RequestState, RequestStep

S = RequestState
A = AuditAction


def seed_rights_demo(organization: Organization, *, now: datetime.datetime | None = None) -> int:
    """Create the organization's demo requests unless it has some; return how many."""
    now = now or timezone.now()
    with unscoped("seed_demo: demo data-subject requests of one organization"):
        if DataSubjectRequest.objects.filter(organization=organization).exists():
            return 0
        members = list(
            User.objects.filter(
                organization=organization, is_active=True, org_role=OrgRole.MEMBER
            ).order_by("email")
        )
        if not members:
            return 0
        assignment = (
            CsmAssignment.objects.filter(organization=organization, ended_at__isnull=True)
            .select_related("csm")
            .first()
        )
        csm = assignment.csm if assignment else None
        officer = User.objects.filter(staff_role=StaffRole.SECURITY_OFFICER, is_active=True).first()

        def person(index: int) -> User:
            return members[index % len(members)]

        plans = [
            _overdue_access(person(0), csm, now),
            _received_by_phone(person(1), csm, now),
            _erasure_awaiting_approval(person(2), csm, now),
            _extended_portability(person(3), csm, now),
            _fulfilled_rectification(person(4), csm, now),
            _refused_objection(person(5), csm, officer, now),
        ]
        for fields, steps in plans:
            dsr = DataSubjectRequest(organization=organization, **fields)
            dsr.save(force_insert=True)
            for occurred_at, actor, action, state, note in steps:
                RequestStep.objects.create(
                    organization=organization,
                    request=dsr,
                    occurred_at=occurred_at,
                    actor=actor,
                    action=action,
                    state=state,
                    note=note,
                )
    return len(plans)


def _due(received: datetime.datetime, extra_months: int = 0) -> datetime.datetime:
    return received + relativedelta(months=settings.GROVE_DSR_DEADLINE_MONTHS + extra_months)


def _ago(now: datetime.datetime, days: int, hour: int = 10) -> datetime.datetime:
    return (now - datetime.timedelta(days=days)).replace(hour=hour, minute=15, second=0)


def _overdue_access(subject, csm, now):
    received = _ago(now, 40)
    return (
        {
            "subject": subject,
            "request_type": "access",
            "state": S.IN_PROGRESS,
            "channel": Channel.PROFILE,
            "filed_by": subject,
            "received_at": received,
            "due_at": _due(received),
            "identity_verified_at": received,
            "handler": csm,
        },
        [
            (received, subject, A.REQUEST_FILED, S.IDENTITY_VERIFIED, ""),
            (_ago(now, 36), csm, A.REQUEST_STARTED, S.IN_PROGRESS, ""),
        ],
    )


def _received_by_phone(subject, csm, now):
    received = _ago(now, 2, hour=14)
    return (
        {
            "subject": subject,
            "request_type": "erasure",
            "state": S.RECEIVED,
            "channel": Channel.PHONE,
            "filed_by": csm,
            "received_at": received,
            "due_at": _due(received),
        },
        [(received, csm, A.REQUEST_FILED, S.RECEIVED, "phone")],
    )


def _erasure_awaiting_approval(subject, csm, now):
    received = _ago(now, 10)
    return (
        {
            "subject": subject,
            "request_type": "erasure",
            "state": S.AWAITING_APPROVAL,
            "channel": Channel.PROFILE,
            "filed_by": subject,
            "received_at": received,
            "due_at": _due(received),
            "identity_verified_at": received,
            "handler": csm,
            "approval_asked_at": _ago(now, 1),
        },
        [
            (received, subject, A.REQUEST_FILED, S.IDENTITY_VERIFIED, ""),
            (_ago(now, 8), csm, A.REQUEST_STARTED, S.IN_PROGRESS, ""),
            (_ago(now, 1), csm, A.REQUEST_APPROVAL_ASKED, S.AWAITING_APPROVAL, ""),
        ],
    )


def _extended_portability(subject, csm, now):
    received = _ago(now, 20)
    reason = "Several years of history to gather; the export is checked before it is sent."
    return (
        {
            "subject": subject,
            "request_type": "portability",
            "state": S.IN_PROGRESS,
            "channel": Channel.MAIL,
            "filed_by": csm,
            "received_at": received,
            "due_at": _due(received, extra_months=1),
            "identity_verified_at": _ago(now, 19),
            "handler": csm,
            "extended_at": _ago(now, 12),
            "extension_reason": reason,
            "extension_notified_at": _ago(now, 12),
        },
        [
            (received, csm, A.REQUEST_FILED, S.RECEIVED, "mail"),
            (_ago(now, 19), csm, A.REQUEST_IDENTITY_VERIFIED, S.IDENTITY_VERIFIED, ""),
            (_ago(now, 18), csm, A.REQUEST_STARTED, S.IN_PROGRESS, ""),
            (_ago(now, 12), csm, A.REQUEST_EXTENDED, S.IN_PROGRESS, reason),
        ],
    )


def _fulfilled_rectification(subject, csm, now):
    received = _ago(now, 60)
    closed = _ago(now, 55)
    country = str(subject.country or "")
    return (
        {
            "subject": subject,
            "request_type": "rectification",
            "state": S.FULFILLED,
            "channel": Channel.PROFILE,
            "filed_by": subject,
            "received_at": received,
            "due_at": _due(received),
            "identity_verified_at": received,
            "handler": csm,
            "closed_at": closed,
            # The demo's own values: the country "before" is a made-up earlier one.
            "rectification": {
                "country": {"before": "BE" if country != "BE" else "LU", "after": country}
            },
        },
        [
            (received, subject, A.REQUEST_FILED, S.IDENTITY_VERIFIED, ""),
            (_ago(now, 57), csm, A.REQUEST_STARTED, S.IN_PROGRESS, ""),
            (closed, csm, A.REQUEST_FULFILLED, S.FULFILLED, ""),
        ],
    )


def _refused_objection(subject, csm, officer, now):
    received = _ago(now, 30)
    closed = _ago(now, 24)
    details = "The access log is kept for security and must stay complete for its retention."
    return (
        {
            "subject": subject,
            "request_type": "objection",
            "state": S.REFUSED,
            "channel": Channel.PROFILE,
            "filed_by": subject,
            "received_at": received,
            "due_at": _due(received),
            "identity_verified_at": received,
            "handler": csm,
            "approval_asked_at": _ago(now, 26),
            "decided_by": officer,
            "decided_at": closed,
            "refusal_ground": RefusalGround.LEGAL_OBLIGATION,
            "refusal_details": details,
            "closed_at": closed,
        },
        [
            (received, subject, A.REQUEST_FILED, S.IDENTITY_VERIFIED, ""),
            (_ago(now, 28), csm, A.REQUEST_STARTED, S.IN_PROGRESS, ""),
            (_ago(now, 26), csm, A.REQUEST_APPROVAL_ASKED, S.AWAITING_APPROVAL, ""),
            (closed, officer, A.REQUEST_REFUSED, S.REFUSED, details),
        ],
    )
