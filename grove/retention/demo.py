"""The retention part of the demo (``seed_retention_demo()``, run by ``seed_demo``).

- "Former Client" (slug ``former``): a small organization (a manager, three members, a topic,
  two practices) whose contract ended 40 days ago, purged by the real engine
  (``run_organization_purge``): the retention pages show a PURGED organization with a completed,
  signed deletion certificate, and its log purge 50 days ahead. Its CSM is the demo's CSM.
- A legal hold on Acme Foods, placed by the demo's security officer through ``hold_place``.

Idempotent: the organization is created only when missing (and purged only if it is not yet),
the hold only when Acme Foods has none. The purge mails its certificate to the organization's
manager (a demo address): ``seed_demo``'s caller discards the demo's mails.
"""

from __future__ import annotations

import datetime
from typing import cast

from django.conf import settings
from django.utils import timezone

from grove.accounts.actions import user_create
from grove.accounts.models import OrgRole, StaffRole, User
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.privacy.datamap import Retention
from grove.privacy.retention import purge_date
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import JobType, Organization

from .holds import hold_place
from .lifecycle import end_contract
from .models import CertificateStatus, DeletionCertificate, LegalHold, PurgeKind

FORMER_SLUG = "former"
FORMER_NAME = "Former Client"
ENDED_DAYS_AGO = 40
HOLD_DAYS = 60
# (email, first name, last name, country, role) of Former Client's people: demo addresses only.
FORMER_PEOPLE = [
    ("manager@former.example", "Nadia", "Kaya", "FR", OrgRole.MANAGER),
    ("paul.henry@former.example", "Paul", "Henry", "FR", OrgRole.MEMBER),
    ("ana.costa@former.example", "Ana", "Costa", "PT", OrgRole.MEMBER),
    ("erik.berg@former.example", "Erik", "Berg", "SE", OrgRole.MEMBER),
]
HOLD_ORGANIZATION_SLUG = "acme"
HOLD_REASON = "Demo: supplier dispute, counsel asked to keep the records (ticket LEGAL-2026-014)."


def seed_retention_demo(*, today: datetime.date | None = None) -> int:
    """Create whatever part of the retention demo is missing; return how many rows it created
    (the organization and its people, the purge's certificate, the hold)."""
    today = today or timezone.localdate()
    created = 0
    with unscoped("seed_demo: the retention demo spans organizations and staff accounts"):
        former = Organization.objects.filter(slug=FORMER_SLUG).first()
        if former is None:
            former = _former_client(today)
            created += 1 + len(FORMER_PEOPLE)
        if not DeletionCertificate.objects.filter(
            organization=former,
            kind=PurgeKind.ORGANIZATION_DATA,
            status=CertificateStatus.COMPLETED,
        ).exists():
            _purge(former, today)
            created += 1
        created += _acme_hold(today)
    return created


def _former_client(today: datetime.date) -> Organization:
    """The organization, its people and content, written while its contract still ran; then
    its contract ends (the lifecycle action), 40 days ago."""
    from grove.practices.actions import practice_create, topic_create

    contract_end = today - datetime.timedelta(days=ENDED_DAYS_AGO)
    organization = Organization.objects.create(
        slug=FORMER_SLUG,
        name=FORMER_NAME,
        contract_start=contract_end - datetime.timedelta(days=365),
        contract_end=contract_end,
        data_region=settings.GROVE_DATA_REGION,
    )
    record_event(
        action=AuditAction.ORGANIZATION_CREATED,
        organization=organization,
        object_type="organization",
        object_ids=[organization.pk],
    )
    with tenant_context(organization):
        job_type = JobType.objects.create(organization=organization, name="Store manager")
    people = []
    for email, first_name, last_name, country, role in FORMER_PEOPLE:
        people.append(
            user_create(
                actor=None,
                organization=organization,
                email=email,
                first_name=first_name,
                last_name=last_name,
                country=country,
                job_type=job_type,
                org_role=role,
            )
        )
    manager, author = people[0], people[1]
    topic = topic_create(actor=manager, name="Opening the store")
    for title, body in [
        ("Checklist before opening", "Lights, tills, the safe: in that order."),
        ("Ten minutes with the team", "A short briefing before the doors open."),
    ]:
        practice_create(
            actor=author,
            topic=topic,
            title=title,
            body=body,
            language="en",
            publish=True,
        )
    _assign_demo_csm(organization)
    ended_at = timezone.make_aware(
        datetime.datetime.combine(contract_end + datetime.timedelta(days=1), datetime.time(2, 0))
    )
    end_contract(
        organization=organization,
        now=ended_at,
        reason=Organization.EndReason.CONTRACT_END_DATE,
    )
    # The daily run's notices of that time (the demo does not mail them now).
    # CONTRACT has a period: its purge date is never None.
    purge_day = cast(datetime.date, purge_date(contract_end, Retention.CONTRACT))
    warning_day = purge_day - datetime.timedelta(days=settings.GROVE_RETENTION_WARNING_DAYS)
    Organization.objects.filter(pk=organization.pk).update(
        end_notice_sent_at=ended_at,
        purge_warning_sent_at=timezone.make_aware(
            datetime.datetime.combine(warning_day, datetime.time(2, 0))
        ),
    )
    organization.refresh_from_db()
    return organization


def _assign_demo_csm(organization: Organization) -> None:
    """The demo's CSM serves Former Client too (assigned by the security manager)."""
    from grove.staff.actions import assignment_create

    csm = User.objects.filter(email="csm@grove.example", staff_role=StaffRole.CSM).first()
    manager = User.objects.filter(staff_role=StaffRole.SECURITY_MANAGER, is_active=True).first()
    if csm is not None and manager is not None:
        assignment_create(actor=manager, organization=organization, csm=csm)


def _purge(organization: Organization, today: datetime.date) -> None:
    """The personal-data purge, by the real engine, on its due day's rule (10 days ago)."""
    from .enforce import data_rule
    from .purge import run_organization_purge

    due_on = purge_date(organization.contract_end, Retention.CONTRACT)
    run_organization_purge(
        organization=organization,
        kind=PurgeKind.ORGANIZATION_DATA,
        rule=data_rule(),
        due_on=due_on,
        run_by="seed_demo",
    )


def _acme_hold(today: datetime.date) -> int:
    acme = Organization.objects.filter(slug=HOLD_ORGANIZATION_SLUG).first()
    officer = User.objects.filter(staff_role=StaffRole.SECURITY_OFFICER, is_active=True).first()
    if acme is None or officer is None:
        return 0
    if LegalHold.objects.filter(organization=acme).exists():
        return 0
    hold_place(
        actor=officer,
        organization=acme,
        reason=HOLD_REASON,
        until=today + datetime.timedelta(days=HOLD_DAYS),
    )
    return 1
