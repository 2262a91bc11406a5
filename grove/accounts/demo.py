"""The demo data set behind ``manage.py seed_demo``: two client organizations and operator staff.

Idempotent: each organization, job type, account and assignment is created only when missing,
so a second run writes nothing and records no event. Accounts go through the account actions.
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.staff.models import CsmAssignment
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import JobType, Organization

from .actions import staff_user_create, user_create
from .models import OrgRole, StaffRole, User

# One fixed password for every demo account: the command refuses to run outside DEBUG
# unless forced, so it never protects anything real.
DEMO_PASSWORD = "grove-demo-2026"  # noqa: S105 -- demo data only

DEMO_JOB_TYPES = [
    "Store manager",
    "Sales associate",
    "Cashier",
    "Regional sales rep",
    "Visual merchandiser",
    "Warehouse operator",
]
ACME_JOB_TYPES = ["Chef", "Line cook", "Warehouse operator", "Quality inspector"]

# (first name, last name, country, job type) of Demo Retail's members.
DEMO_MEMBERS = [
    ("Camille", "Lefèvre", "FR", "Store manager"),
    ("Julien", "Moreau", "FR", "Sales associate"),
    ("Inès", "Garnier", "FR", "Cashier"),
    ("Thomas", "Rousseau", "FR", "Regional sales rep"),
    ("Léa", "Fontaine", "FR", "Visual merchandiser"),
    ("Lukas", "Schneider", "DE", "Store manager"),
    ("Anna", "Fischer", "DE", "Sales associate"),
    ("Jonas", "Weber", "DE", "Warehouse operator"),
    ("Marie", "Becker", "DE", "Cashier"),
    ("Lucía", "García", "ES", "Store manager"),
    ("Javier", "Martínez", "ES", "Sales associate"),
    ("Carmen", "López", "ES", "Cashier"),
    ("Pablo", "Sánchez", "ES", "Regional sales rep"),
    ("Giulia", "Rossi", "IT", "Sales associate"),
    ("Marco", "Bianchi", "IT", "Store manager"),
    ("Chiara", "Romano", "IT", "Visual merchandiser"),
    ("Oliver", "Smith", "GB", "Regional sales rep"),
    ("Amelia", "Jones", "GB", "Sales associate"),
    ("Harry", "Taylor", "GB", "Warehouse operator"),
    ("Louise", "Peeters", "BE", "Cashier"),
    ("Wout", "Janssens", "BE", "Sales associate"),
    ("Sanne", "de Vries", "NL", "Store manager"),
    ("Daan", "Bakker", "NL", "Warehouse operator"),
    ("Emma", "Visser", "NL", "Sales associate"),
    ("Zofia", "Kowalska", "PL", "Cashier"),
    ("Piotr", "Nowak", "PL", "Warehouse operator"),
    ("Katarzyna", "Wiśniewska", "PL", "Sales associate"),
    ("João", "Silva", "PT", "Sales associate"),
    ("Ingrid", "Lindqvist", "SE", "Visual merchandiser"),
    ("Sean", "Murphy", "IE", "Regional sales rep"),
]

ACME_MEMBERS = [
    ("Hugo", "Bernard", "FR", "Chef"),
    ("Sofia", "Esposito", "IT", "Line cook"),
    ("Felix", "Wagner", "DE", "Warehouse operator"),
    ("Noor", "Jansen", "NL", "Quality inspector"),
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    organization: str


@dataclass
class DemoResult:
    logins: list[DemoLogin] = field(default_factory=list)
    created: int = 0  # rows created by this run (organizations, job types, users, assignments)


@transaction.atomic
def seed_demo(*, today: datetime.date | None = None) -> DemoResult:
    """Create whatever part of the demo data set is missing; return the logins to show."""
    today = today or timezone.now().date()
    result = DemoResult()
    with unscoped("seed_demo: the demo spans several organizations and staff accounts"):
        demo = _organization(
            result,
            slug="demo",
            name="Demo Retail",
            contract_start=today - datetime.timedelta(days=120),
            contract_end=today + datetime.timedelta(days=365),
            job_type_names=DEMO_JOB_TYPES,
        )
        _member(
            result,
            demo,
            email="manager@demo.example",
            first_name="Margaux",
            last_name="Dubois",
            country="FR",
            job_type_name="Store manager",
            org_role=OrgRole.MANAGER,
            show=True,
        )
        for index, (first_name, last_name, country, job) in enumerate(DEMO_MEMBERS):
            _member(
                result,
                demo,
                email=_email(first_name, last_name, "demo.example"),
                first_name=first_name,
                last_name=last_name,
                country=country,
                job_type_name=job,
                org_role=OrgRole.MEMBER,
                show=index == 0,
            )

        acme = _organization(
            result,
            slug="acme",
            name="Acme Foods",
            contract_start=today - datetime.timedelta(days=400),
            contract_end=today + datetime.timedelta(days=330),
            job_type_names=ACME_JOB_TYPES,
        )
        _member(
            result,
            acme,
            email="manager@acme.example",
            first_name="Elena",
            last_name="Novak",
            country="CZ",
            job_type_name="Quality inspector",
            org_role=OrgRole.MANAGER,
            show=True,
        )
        for index, (first_name, last_name, country, job) in enumerate(ACME_MEMBERS):
            _member(
                result,
                acme,
                email=_email(first_name, last_name, "acme.example"),
                first_name=first_name,
                last_name=last_name,
                country=country,
                job_type_name=job,
                org_role=OrgRole.MEMBER,
                show=index == 0,
            )

        csm = _staff(result, "csm@grove.example", "Claire", "Martin", StaffRole.CSM)
        _staff(result, "tech@grove.example", "Tariq", "Haddad", StaffRole.TECHNICAL)
        _staff(result, "officer@grove.example", "Olga", "Ivanova", StaffRole.SECURITY_OFFICER)
        security_manager = _staff(
            result,
            "security.manager@grove.example",
            "Samuel",
            "Meyer",
            StaffRole.SECURITY_MANAGER,
        )
        _csm_assignment(result, demo, csm=csm, assigned_by=security_manager)
    return result


def _organization(
    result: DemoResult,
    *,
    slug: str,
    name: str,
    contract_start: datetime.date,
    contract_end: datetime.date,
    job_type_names: list[str],
) -> Organization:
    # Organizations and job types have no action of their own yet (tenancy owns them): the
    # demo writes them here and records the organization's creation like an action would.
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        organization = Organization.objects.create(
            slug=slug,
            name=name,
            contract_start=contract_start,
            contract_end=contract_end,
            data_region=settings.GROVE_DATA_REGION,
        )
        result.created += 1
        record_event(
            action=AuditAction.ORGANIZATION_CREATED,
            organization=organization,
            object_type="organization",
            object_ids=[organization.pk],
            details={"source": "seed_demo"},
        )
    with tenant_context(organization):
        for job_name in job_type_names:
            _, created = JobType.objects.get_or_create(organization=organization, name=job_name)
            result.created += int(created)
    return organization


def _member(
    result: DemoResult,
    organization: Organization,
    *,
    email: str,
    first_name: str,
    last_name: str,
    country: str,
    job_type_name: str,
    org_role: str,
    show: bool,
) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        with tenant_context(organization):
            job_type = JobType.objects.get(name=job_type_name)
            user = user_create(
                actor=None,
                organization=organization,
                email=email,
                first_name=first_name,
                last_name=last_name,
                country=country,
                job_type=job_type,
                org_role=org_role,
                password=DEMO_PASSWORD,
            )
        result.created += 1
    if show:
        result.logins.append(DemoLogin(user.email, user.get_org_role_display(), organization.name))
    return user


def _staff(result: DemoResult, email: str, first_name: str, last_name: str, role: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = staff_user_create(
            actor=None,
            email=email,
            first_name=first_name,
            last_name=last_name,
            staff_role=role,
            password=DEMO_PASSWORD,
        )
        result.created += 1
    result.logins.append(DemoLogin(user.email, user.get_staff_role_display(), "Grove (staff)"))
    return user


def _csm_assignment(
    result: DemoResult, organization: Organization, *, csm: User, assigned_by: User
) -> None:
    # Like organizations, assignments have no action yet (the staff app owns them). The row
    # names the security manager; the event's actor stays empty: the seed did it, not a person.
    with tenant_context(organization):
        if CsmAssignment.objects.filter(csm=csm, ended_at__isnull=True).exists():
            return
        assignment = CsmAssignment.objects.create(
            organization=organization, csm=csm, assigned_by=assigned_by
        )
    result.created += 1
    record_event(
        action=AuditAction.ASSIGNMENT_CREATED,
        organization=organization,
        object_type="csm_assignment",
        object_ids=[assignment.pk],
        subject_user=csm,
        details={"source": "seed_demo"},
    )


def _email(first_name: str, last_name: str, domain: str) -> str:
    local = f"{first_name}.{last_name}".replace(" ", "")
    ascii_local = unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode()
    return f"{ascii_local.lower()}@{domain}"
