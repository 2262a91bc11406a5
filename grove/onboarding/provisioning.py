"""The one provisioning code path: the list import, SCIM and managers create, rectify,
deactivate and reactivate people through here (validation, minimisation, audit).

Only the five attributes the privacy policy allows ever reach it: a ``PersonRecord`` has no
other field, so whatever else a list or an identity provider sends is dropped by the caller
before (and can never be stored by this module). Errors carry a field and a code, never the
value: they end up in logs, import issues and SCIM error responses.
"""

from __future__ import annotations

import functools
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from grove.accounts.models import OrgRole, User
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.retention.lifecycle import ensure_organization_writable
from grove.tenancy.context import TenantScopeError, current_scope, tenant_context, unscoped
from grove.tenancy.models import JobType, Organization

SOURCES = ("import", "scim", "manager")
NAME_MAX_LENGTH = 150
EMAIL_MAX_LENGTH = 254
JOB_TYPE_MAX_LENGTH = 100

MESSAGES = {
    "missing": _("This value is required."),
    "too_long": _("This value is too long."),
    "invalid_email": _("This is not a valid email address."),
    "invalid_characters": _("This value contains characters that are not allowed."),
    "unknown_country": _("Unknown country: give an ISO code or its name in English or French."),
    "unknown_job_type": _("Unknown job type for this organization."),
    "duplicate": _("This email appears more than once in the list."),
    "other_organization": _("This email belongs to an account of another organization."),
}


@dataclass(frozen=True)
class PersonRecord:
    email: str  # normalised: stripped, lower case, validated
    first_name: str  # stripped, 1-150 chars
    last_name: str  # stripped, 1-150 chars
    country: str  # ISO 3166-1 alpha-2 code or ""
    job_type: str  # the job type's name as given (matched case/accent-insensitively) or ""


@dataclass(frozen=True)
class RecordError:
    field: str  # "email", "first_name", "last_name", "country", "job_type", ""
    code: str
    message: str  # translatable, never containing the value


def record_error(field_name: str, code: str) -> RecordError:
    return RecordError(field=field_name, code=code, message=str(MESSAGES.get(code, code)))


class ProvisioningError(Exception):
    """A person's data was refused. ``errors`` says where and why, never with the values."""

    def __init__(self, errors: Iterable[RecordError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.field or '-'}: {e.code}" for e in self.errors))


@dataclass(frozen=True)
class ProvisionResult:
    user: User
    outcome: str  # "created" | "updated" | "unchanged" | "reactivated"
    changed_fields: list[str] = field(default_factory=list)


# --- Matching names -------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)  # job types and countries repeat down a list
def fold(text: str) -> str:
    """Case, accents and spacing ignored: "  Métier " and "metier" fold alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(without_marks.casefold().split())


def _fold_tight(text: str) -> str:
    # Countries: punctuation and spaces ignored too ("Côte d'Ivoire" = "cote divoire").
    return re.sub(r"[^0-9a-z]", "", fold(text))


@functools.cache
def _country_index() -> dict[str, str]:
    """Folded ISO codes (alpha-2 and alpha-3) and English and French names → alpha-2 code."""
    from django_countries import countries
    from django_countries.data import COUNTRIES

    index: dict[str, str] = {}
    for code, name in COUNTRIES.items():
        index[_fold_tight(str(name))] = code
    for language in ("en", "fr"):
        with translation.override(language):
            for country in countries:
                index.setdefault(_fold_tight(str(country.name)), country.code)
    for code in COUNTRIES:
        alpha3 = countries.alpha3(code)
        if alpha3:
            index[alpha3.lower()] = code
        index[code.lower()] = code
    # What lists commonly say instead of the ISO short name.
    index.setdefault("uk", "GB")
    index.setdefault("unitedkingdom", "GB")
    index.setdefault("usa", "US")
    index.setdefault("unitedstates", "US")
    index.setdefault("etatsunis", "US")
    index.setdefault("royaumeuni", "GB")
    return index


@functools.lru_cache(maxsize=4096)
def country_code(value: str) -> str | None:
    """The ISO alpha-2 code for an ISO code or an English/French name; "" for blank; None when
    unknown."""
    value = value.strip()
    if not value:
        return ""
    return _country_index().get(_fold_tight(value))


_email_validator = EmailValidator()
# Django's patterns, compiled now: its lazy regex objects cost a proxy call per use, which shows
# over 100,000 rows.
for _name in ("user_regex", "domain_regex", "literal_regex"):
    _lazy = getattr(_email_validator, _name)
    setattr(_email_validator, _name, re.compile(_lazy.pattern, _lazy.flags))
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]|[\ud800-\udfff]")


class PersonCleaner:
    """Validates people for one organization, with its job types looked up once.

    ``clean_person`` makes one per call; the list import keeps one for the whole file.
    """

    def __init__(self, organization: Organization, *, create_missing_job_types: bool = False):
        self.organization = organization
        self.create_missing_job_types = create_missing_job_types
        with tenant_context(organization):
            self.job_types = {fold(j.name): j for j in JobType.objects.all()}

    def clean(
        self,
        *,
        email: str,
        first_name: str,
        last_name: str,
        country: str = "",
        job_type: str = "",
    ) -> tuple[PersonRecord | None, list[RecordError]]:
        errors: list[RecordError] = []
        email = normalise_email(email)
        if not email:
            errors.append(record_error("email", "missing"))
        elif len(email) > EMAIL_MAX_LENGTH or not _valid_email(email):
            errors.append(record_error("email", "invalid_email"))
        names = {}
        for name, value in (("first_name", first_name), ("last_name", last_name)):
            value = " ".join((value or "").split())
            if not value:
                errors.append(record_error(name, "missing"))
            elif len(value) > NAME_MAX_LENGTH:
                errors.append(record_error(name, "too_long"))
            elif _CONTROL.search(value):
                errors.append(record_error(name, "invalid_characters"))
            names[name] = value
        code = country_code(country or "")
        if code is None:
            errors.append(record_error("country", "unknown_country"))
        job_name = " ".join((job_type or "").split())
        if job_name:
            known = self.job_types.get(fold(job_name))
            if known is not None:
                job_name = known.name
            elif len(job_name) > JOB_TYPE_MAX_LENGTH:
                errors.append(record_error("job_type", "too_long"))
            elif _CONTROL.search(job_name):
                errors.append(record_error("job_type", "invalid_characters"))
            elif not self.create_missing_job_types:
                errors.append(record_error("job_type", "unknown_job_type"))
        if errors:
            return None, errors
        return (
            PersonRecord(
                email=email,
                first_name=names["first_name"],
                last_name=names["last_name"],
                country=code or "",
                job_type=job_name,
            ),
            [],
        )

    def job_type_for(self, name: str, *, create: bool) -> JobType | None:
        """The organization's job type of that (folded) name; created when missing and allowed."""
        if not name:
            return None
        known = self.job_types.get(fold(name))
        if known is None and create:
            with tenant_context(self.organization):
                known = JobType.objects.create(organization=self.organization, name=name)
            self.job_types[fold(name)] = known
        return known


def normalise_email(value: str) -> str:
    return (value or "").strip().lower()


def _valid_email(email: str) -> bool:
    try:
        _email_validator(email)
    except ValidationError:
        return False
    return True


def clean_person(
    *,
    organization: Organization,
    email: str,
    first_name: str,
    last_name: str,
    country: str = "",
    job_type: str = "",
    create_missing_job_types: bool = False,
) -> PersonRecord:
    """Validate one person's five attributes for ``organization``; raises ProvisioningError.

    The email is stripped and lower-cased; the country may be an ISO code or an English or
    French name (case, accents and punctuation ignored); the job type must be one of the
    organization's (case and accents ignored) unless ``create_missing_job_types``.
    """
    cleaner = PersonCleaner(organization, create_missing_job_types=create_missing_job_types)
    record, errors = cleaner.clean(
        email=email, first_name=first_name, last_name=last_name, country=country, job_type=job_type
    )
    if errors:
        raise ProvisioningError(errors)
    assert record is not None  # noqa: S101 -- no errors means a record
    return record


# --- Writes ---------------------------------------------------------------------------------


def unusable_password() -> str:
    """What ``set_unusable_password`` stores, made faster for bulk creation."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


def write_scope(organization: Organization):
    """Run as ``organization``; refuses when the caller already runs as another one."""
    scope = current_scope()
    if (
        not scope.is_unscoped
        and scope.organization_id is not None
        and scope.organization_id != organization.pk
    ):
        raise TenantScopeError("refusing to provision a person outside the current organization")
    return tenant_context(organization)


def find_by_email(email: str) -> User | None:
    """The account with that business email, in any organization (emails are unique)."""
    with unscoped("provisioning: the business email is unique across organizations"):
        return User.objects.filter(email=email).first()


def changed_fields(user: User, record: PersonRecord, job_type: JobType | None) -> dict:
    """The attributes of ``user`` the record changes: {field name: new value}."""
    wanted = {
        "first_name": record.first_name,
        "last_name": record.last_name,
        "country": record.country,
        "job_type_id": job_type.pk if job_type else None,
    }
    return {
        name: value
        for name, value in wanted.items()
        if (str(getattr(user, name)) if name == "country" else getattr(user, name)) != value
    }


@transaction.atomic
def provision_person(
    *,
    organization: Organization,
    record: PersonRecord,
    actor: User | None = None,
    source: str,
    request=None,
    create_missing_job_types: bool = False,
    invite: bool = True,
    reactivate: bool = True,
) -> ProvisionResult:
    """Create or rectify the person ``record`` describes in ``organization``.

    New: a member with an unusable password, USER_CREATED, and (``invite``) an invitation
    mailed after the commit. Existing in the organization: changed names, country or job type
    are written (a rectification: USER_CHANGED with the field names only); an inactive person
    is reactivated (USER_REACTIVATED) unless ``reactivate=False`` (SCIM says so explicitly).
    Roles are never changed here. An email of another organization (or of staff) raises
    ProvisioningError with code "other_organization". Audit events hold ids only.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown provisioning source {source!r}")
    ensure_organization_writable(organization)  # an ended contract: read-only
    with write_scope(organization):
        existing = find_by_email(record.email)
        if existing is not None and existing.organization_id != organization.pk:
            raise ProvisioningError([record_error("email", "other_organization")])
        cleaner = PersonCleaner(organization, create_missing_job_types=create_missing_job_types)
        job_type = None
        if record.job_type:
            job_type = cleaner.job_type_for(record.job_type, create=create_missing_job_types)
            if job_type is None:
                raise ProvisioningError([record_error("job_type", "unknown_job_type")])
        if existing is None:
            user = User(
                email=record.email,
                first_name=record.first_name,
                last_name=record.last_name,
                country=record.country,
                organization=organization,
                job_type=job_type,
                org_role=OrgRole.MEMBER,
                password=unusable_password(),
            )
            user.full_clean(exclude=["password"], validate_unique=False)
            user.save(force_insert=True)
            record_event(
                action=AuditAction.USER_CREATED,
                actor=actor,
                organization=organization,
                object_type="user",
                object_ids=[user.pk],
                subject_user=user,
                request=request,
                details={"source": source, "org_role": OrgRole.MEMBER},
            )
            if invite:
                send_invitations(users=[user], actor=actor, request=request)
            return ProvisionResult(user=user, outcome="created", changed_fields=[])

        user = existing
        changes = changed_fields(user, record, job_type)
        names = sorted(name.removesuffix("_id") for name in changes)
        if changes:
            for name, value in changes.items():
                setattr(user, name, value)
            user.full_clean(exclude=["password"], validate_unique=False)
            user.save(update_fields=list(changes))
            record_event(
                action=AuditAction.USER_CHANGED,
                actor=actor,
                organization=organization,
                object_type="user",
                object_ids=[user.pk],
                subject_user=user,
                request=request,
                details={"source": source, "fields": names},
            )
        if reactivate and not user.is_active:
            reactivate_person(
                organization=organization, user=user, actor=actor, source=source, request=request
            )
            return ProvisionResult(user=user, outcome="reactivated", changed_fields=names)
        return ProvisionResult(
            user=user, outcome="updated" if changes else "unchanged", changed_fields=names
        )


def send_invitations(*, users: list[User], actor: User | None = None, request=None) -> None:
    """Invite new people through the accounts app (one invitation each, mailed on commit)."""
    from grove.accounts.invitations import invitations_send

    invitations_send(users=users, actor=actor, request=request)


def _check_member(organization: Organization, user: User) -> None:
    if user.organization_id != organization.pk:
        raise TenantScopeError("refusing to change a person of another organization")


@transaction.atomic
def deactivate_person(
    *, organization: Organization, user: User, actor: User | None = None, source: str, request=None
) -> bool:
    """Deactivate (never delete) a person: no login from now on, and the login backend refuses
    their open sessions at the next request. Records USER_DEACTIVATED; False if already
    inactive (nothing written)."""
    ensure_organization_writable(organization)
    _check_member(organization, user)
    if not user.is_active:
        return False
    with write_scope(organization):
        user.is_active = False
        user.save(update_fields=["is_active"])
        record_event(
            action=AuditAction.USER_DEACTIVATED,
            actor=actor,
            organization=organization,
            object_type="user",
            object_ids=[user.pk],
            subject_user=user,
            request=request,
            details={"source": source},
        )
    return True


@transaction.atomic
def reactivate_person(
    *, organization: Organization, user: User, actor: User | None = None, source: str, request=None
) -> bool:
    """Let a deactivated person log in again; records USER_REACTIVATED. False if active."""
    ensure_organization_writable(organization)
    _check_member(organization, user)
    if user.is_active:
        return False
    with write_scope(organization):
        user.is_active = True
        user.save(update_fields=["is_active"])
        record_event(
            action=AuditAction.USER_REACTIVATED,
            actor=actor,
            organization=organization,
            object_type="user",
            object_ids=[user.pk],
            subject_user=user,
            request=request,
            details={"source": source},
        )
    return True
