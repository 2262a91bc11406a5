"""The demo data set behind ``manage.py seed_demo``: two client organizations and operator staff.

Idempotent: each organization, job type, account and assignment is created only when missing,
so a second run writes nothing and records no event. Accounts go through the account actions,
the CSM assignment and the break-glass grant through the staff actions.

The first run also writes a few weeks of access-log history for Demo Retail (``_history``):
members' logins, the CSM's visits, and one break-glass grant for tech@grove.example, requested,
approved, used and expired. Events are appended in chronological order, dated in the past.
"""

from __future__ import annotations

import datetime
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.onboarding.scim.demo import seed_scim_token
from grove.practices.demo import seed_practices
from grove.retention.demo import seed_retention_demo
from grove.rights.demo import seed_rights_demo
from grove.staff.actions import assignment_create, grant_approve, grant_expire_due, grant_request
from grove.staff.authorization import Capability, authorize
from grove.staff.models import AccessGrant, CsmAssignment
from grove.subprocessors.demo import seed_subprocessors_demo
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import JobType, Organization

from .actions import staff_user_create, user_create
from .invitations import invitation_demo_link, invitations_send
from .models import Invitation, OrgRole, StaffRole, User

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
    scim_token: str = ""  # Demo Retail's SCIM token (published, like the demo password)
    # The activation link of Demo Retail's pending invitation ("" once it has been used).
    invitation_url: str = ""


@transaction.atomic
def seed_demo(*, today: datetime.date | None = None) -> DemoResult:
    """Create whatever part of the demo data set is missing; return the logins to show."""
    today = today or timezone.now().date()
    result = DemoResult()
    with unscoped("seed_demo: the demo spans several organizations and staff accounts"):
        demo = _client(
            result,
            slug="demo",
            name="Demo Retail",
            contract_start=today - datetime.timedelta(days=120),
            contract_end=today + datetime.timedelta(days=365),
            job_type_names=DEMO_JOB_TYPES,
            manager=("manager@demo.example", "Margaux", "Dubois", "FR", "Store manager"),
            members=DEMO_MEMBERS,
        )
        _client(
            result,
            slug="acme",
            name="Acme Foods",
            contract_start=today - datetime.timedelta(days=400),
            contract_end=today + datetime.timedelta(days=330),
            job_type_names=ACME_JOB_TYPES,
            manager=("manager@acme.example", "Elena", "Novak", "CZ", "Quality inspector"),
            members=ACME_MEMBERS,
        )

        csm = _staff(result, "csm@grove.example", "Claire", "Martin", StaffRole.CSM)
        tech = _staff(result, "tech@grove.example", "Tariq", "Haddad", StaffRole.TECHNICAL)
        officer = _staff(
            result, "officer@grove.example", "Olga", "Ivanova", StaffRole.SECURITY_OFFICER
        )
        security_manager = _staff(
            result,
            "security.manager@grove.example",
            "Samuel",
            "Meyer",
            StaffRole.SECURITY_MANAGER,
        )
        now = timezone.now()
        _csm_assignment(
            result,
            demo,
            csm=csm,
            assigned_by=security_manager,
            at=_at(now, days_ago=HISTORY_DAYS + 5, hour=9, minute=30),
        )
        _history(result, demo, csm=csm, tech=tech, approver=officer, now=now)
        result.created += seed_practices(demo, now=now)
        result.created += seed_rights_demo(demo, now=now)
        result.created += seed_subprocessors_demo()
        result.created += seed_retention_demo(today=today)
        result.scim_token, created = seed_scim_token(
            demo, created_by=User.objects.get(email="manager@demo.example")
        )
        result.created += created
        result.invitation_url = _pending_invitation(result, demo)
    return result


def _client(
    result: DemoResult,
    *,
    slug: str,
    manager: tuple[str, str, str, str, str],
    members: list[tuple[str, str, str, str]],
    **organization_fields,
) -> Organization:
    """One client organization with its manager and members (the first member is shown)."""
    organization = _organization(result, slug=slug, **organization_fields)
    email, first_name, last_name, country, job = manager
    _member(
        result,
        organization,
        email=email,
        first_name=first_name,
        last_name=last_name,
        country=country,
        job_type_name=job,
        org_role=OrgRole.MANAGER,
        show=True,
    )
    for index, (first_name, last_name, country, job) in enumerate(members):
        _member(
            result,
            organization,
            email=_email(first_name, last_name, f"{slug}.example"),
            first_name=first_name,
            last_name=last_name,
            country=country,
            job_type_name=job,
            org_role=OrgRole.MEMBER,
            show=index == 0,
        )
    return organization


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


# A Demo Retail member who has not activated their account yet: their invitation is pending.
DEMO_INVITEE = ("nina.petit@demo.example", "Nina", "Petit", "FR", "Cashier")


def _pending_invitation(result: DemoResult, demo: Organization) -> str:
    """Nina's pending invitation (sent by the manager) and its activation link, freshly made
    at each run (only the token's hash is stored, so the link cannot be read back); "" once
    she has activated her account."""
    email, first_name, last_name, country, job = DEMO_INVITEE
    invitee = User.objects.filter(email=email).first()
    if invitee is None:
        with tenant_context(demo):
            invitee = user_create(
                actor=None,
                organization=demo,
                email=email,
                first_name=first_name,
                last_name=last_name,
                country=country,
                job_type=JobType.objects.get(name=job),
                org_role=OrgRole.MEMBER,
            )
        result.created += 1
    if invitee.has_usable_password() or not invitee.is_active:
        return ""
    now = timezone.now()
    with tenant_context(demo):
        invitation = Invitation.objects.filter(
            user=invitee, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).first()
        if invitation is None:
            manager = User.objects.get(email="manager@demo.example")
            [invitation] = invitations_send(users=[invitee], actor=manager)
            result.created += 1
    return invitation_demo_link(invitation=invitation)


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
    result: DemoResult,
    organization: Organization,
    *,
    csm: User,
    assigned_by: User,
    at: datetime.datetime,
) -> None:
    with tenant_context(organization):
        if CsmAssignment.objects.filter(csm=csm, ended_at__isnull=True).exists():
            return
    assignment_create(actor=assigned_by, organization=organization, csm=csm, at=at)
    result.created += 1


# --- Access-log history ---------------------------------------------------------------------

HISTORY_DAYS = 35
# The demo's break-glass grant: its ticket marks the history as written (it is written once).
DEMO_GRANT_TICKET = "INC-2041"
DEMO_GRANT_REASON = (
    "Search returns no results for some store managers since the index rebuild; "
    "checking the affected accounts' job types and countries."
)
# Members who log in (by index in DEMO_MEMBERS), and how many working days out of ten.
ACTIVE_MEMBERS = {0: 8, 1: 6, 2: 3, 5: 7, 6: 4, 9: 5, 13: 3, 16: 6, 21: 2, 27: 4}
CSM_VISIT_DAYS_AGO = [31, 24, 17, 10, 3]


def _at(now: datetime.datetime, *, days_ago: int, hour: int, minute: int) -> datetime.datetime:
    day = (now - datetime.timedelta(days=days_ago)).date()
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=datetime.UTC)


def _history(
    result: DemoResult,
    demo: Organization,
    *,
    csm: User,
    tech: User,
    approver: User,
    now: datetime.datetime,
) -> None:
    """Weeks of Demo Retail's access log, written once, oldest first.

    Logins go straight to the log with their past dates (a login is a session, not a write the
    seed can replay); the CSM's visits record what the console records (one LIST with the ids
    shown, a VIEW of one account), after authorize() agreed; the grant goes through the real
    actions, dated in the past, so its GRANT_EXPIRED comes from grant_expire_due.
    """
    with tenant_context(demo):
        if AccessGrant.objects.filter(requester=tech, ticket_ref=DEMO_GRANT_TICKET).exists():
            return
        members = {
            user.email: user for user in User.objects.filter(organization=demo).order_by("pk")
        }
        manager = members["manager@demo.example"]
        first_page = list(
            User.objects.order_by("last_name", "first_name", "pk").values_list("pk", flat=True)[:50]
        )
    # The CSM and the grant holder read what the console shows them today.
    authorize(user=csm, organization=demo, capability=Capability.USERS_READ)

    rng = random.Random(2026)  # noqa: S311 -- demo data, reproducible on purpose
    steps: list[tuple[datetime.datetime, int, Callable[[], object]]] = []

    def step(at: datetime.datetime, run: Callable[[], object]) -> None:
        if at < now:
            steps.append((at, len(steps), run))

    active = [(manager, 9)] + [
        (members[_email(first, last, "demo.example")], days)
        for index, (first, last, _country, _job) in enumerate(DEMO_MEMBERS)
        if (days := ACTIVE_MEMBERS.get(index))
    ]
    for days_ago in range(HISTORY_DAYS, 0, -1):
        if (now - datetime.timedelta(days=days_ago)).weekday() >= 5:
            continue  # the shops' back offices are quiet at weekends
        for member, days_in_ten in active:
            if rng.randrange(10) < days_in_ten:
                at = _at(now, days_ago=days_ago, hour=rng.randint(7, 17), minute=rng.randint(0, 59))
                step(at, _login_event(member, at))
                if rng.random() < 0.3:
                    out = at + datetime.timedelta(minutes=rng.randint(5, 90))
                    step(out, _logout_event(member, out))

    for visit, days_ago in enumerate(CSM_VISIT_DAYS_AGO):
        at = _at(now, days_ago=days_ago, hour=10, minute=15 + visit)
        step(at, _read_event(csm, demo, AuditAction.LIST, "user", first_page, at))
        viewed = first_page[(visit * 7) % len(first_page)]
        later = at + datetime.timedelta(minutes=3)
        step(later, _read_event(csm, demo, AuditAction.VIEW, "user", [viewed], later))

    requested = _at(now, days_ago=9, hour=14, minute=2)
    step(requested, lambda: _demo_grant(demo, tech, requested))
    approved = requested + datetime.timedelta(minutes=11)
    step(approved, lambda: grant_approve(actor=approver, grant=_grant(demo, tech), at=approved))
    for minutes, action, ids in (
        (4, AuditAction.LIST, first_page),
        (9, AuditAction.VIEW, first_page[3:4]),
        (16, AuditAction.VIEW, first_page[11:12]),
    ):
        used = approved + datetime.timedelta(minutes=minutes)
        step(used, _grant_use(tech, demo, action, ids, used))
    expired = approved + datetime.timedelta(minutes=120, seconds=40)
    step(expired, lambda: grant_expire_due(now=expired))

    for _at_time, _order, run in sorted(steps, key=lambda s: (s[0], s[1])):
        run()
    result.created += 1  # the grant


def _login_event(user: User, at: datetime.datetime):
    return lambda: record_event(
        action=AuditAction.LOGIN,
        actor=user,
        organization=user.organization_id,
        subject_user=user,
        occurred_at=at,
    )


def _logout_event(user: User, at: datetime.datetime):
    return lambda: record_event(
        action=AuditAction.LOGOUT,
        actor=user,
        organization=user.organization_id,
        subject_user=user,
        occurred_at=at,
    )


def _read_event(user, organization, action, object_type, ids, at, grant=None):
    return lambda: record_event(
        action=action,
        actor=user,
        organization=organization,
        object_type=object_type,
        object_ids=list(ids),
        grant=grant,
        occurred_at=at,
    )


def _demo_grant(demo: Organization, tech: User, at: datetime.datetime) -> AccessGrant:
    return grant_request(
        actor=tech,
        organization=demo,
        reason=DEMO_GRANT_REASON,
        ticket_ref=DEMO_GRANT_TICKET,
        duration_minutes=120,
        at=at,
    )


def _grant(demo: Organization, tech: User) -> AccessGrant:
    with tenant_context(demo):
        return AccessGrant.objects.get(requester=tech, ticket_ref=DEMO_GRANT_TICKET)


def _grant_use(tech: User, demo: Organization, action, ids, at: datetime.datetime):
    """What a request under the grant records: GRANT_USED, then the read itself."""

    def run() -> None:
        grant = _grant(demo, tech)
        record_event(
            action=AuditAction.GRANT_USED,
            actor=tech,
            organization=demo,
            grant=grant,
            object_type="organization",
            details={"capability": str(Capability.USERS_READ)},
            occurred_at=at,
        )
        _read_event(tech, demo, action, "user", ids, at, grant=grant)()

    return run


def _email(first_name: str, last_name: str, domain: str) -> str:
    local = f"{first_name}.{last_name}".replace(" ", "")
    ascii_local = unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode()
    return f"{ascii_local.lower()}@{domain}"
