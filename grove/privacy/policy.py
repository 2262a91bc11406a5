"""What the privacy policy and the record of processing activities say, collected from what runs.

Nothing here is a copy of a fact kept elsewhere: the personal data categories and the places that
hold them come from the data map (``inventory()``), the subprocessors from the registry
(``grove.subprocessors.public``), retention from ``retention.rules()``, storage, transport and
cookies from settings (and the URL configuration), the contact and the deadlines from settings.
``collect()`` builds one ``PolicyFacts``; the /privacy page and ``manage.py ropa`` both render
it, so they cannot disagree, and a change to the registry or a setting changes both.

The only hand-written text is the prose that explains the facts: a purpose per app that holds
personal data (``ACTIVITIES``) and a sentence per category (``CATEGORY_TEXTS``). The tests fail
when an app starts holding personal data, or a category becomes personal, without its text.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.apps import apps
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import connection
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.i18n import set_language

from grove.subprocessors import public as registry

from .datamap import PERSONAL_CATEGORIES, Category, FieldEntry, Retention, inventory
from .retention import rules

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The public data-subject request form (grove/rights); its path while it is not routed.
PUBLIC_REQUEST_PATH = "/rights/request/"
PUBLIC_REQUEST_URL_NAMES = ("rights:public_request", "rights:public")

# Every category of the data map, in the reader's language (the data map's own labels are
# technical English for docs/datamap.md).
CATEGORY_LABELS: dict[str, StrOrPromise] = {
    Category.BUSINESS_EMAIL: gettext_lazy("Business email"),
    Category.NAME: gettext_lazy("First and last name"),
    Category.COUNTRY: gettext_lazy("Country"),
    Category.JOB_TYPE: gettext_lazy("Job type"),
    Category.FUNCTIONAL_LOG: gettext_lazy("Functional logs"),
    Category.SESSION_COOKIE: gettext_lazy("Session cookie"),
    Category.PERSON_REFERENCE: gettext_lazy("Link to a person"),
    Category.CONTENT: gettext_lazy("Client business content"),
    Category.CREDENTIAL: gettext_lazy("Credential (hash)"),
    Category.ACCOUNT_SETTING: gettext_lazy("Account setting"),
    Category.SYSTEM: gettext_lazy("System data"),
}

# Why each personal category is there (a personal category without a text fails the tests).
CATEGORY_TEXTS = {
    Category.BUSINESS_EMAIL: gettext_lazy(
        "The email address your employer gave you at work: it identifies your account, signs "
        "you in and receives the service's mails."
    ),
    Category.NAME: gettext_lazy(
        "Your first and last name, shown to your colleagues next to what you publish."
    ),
    Category.COUNTRY: gettext_lazy(
        "The country you work in, so that practices can be targeted and the dashboards grouped."
    ),
    Category.JOB_TYPE: gettext_lazy(
        "Your job type in your organization, for the same targeting and grouping."
    ),
    Category.FUNCTIONAL_LOG: gettext_lazy(
        "Dates and technical traces of what happens on your account (sign-ins, invitations, "
        "reads, requests, accesses to your data), without the content of what you write."
    ),
    Category.SESSION_COOKIE: gettext_lazy(
        "The session that keeps you signed in, stored on our servers and named by a cookie."
    ),
}

CLIENT_USERS = gettext_lazy("Client users (employees of our clients)")
STAFF = gettext_lazy("Operator staff")

# What each app that holds personal data does with it, and about whom. Keyed by app label;
# an app that starts holding personal data without an entry here fails the tests.
ACTIVITIES = {
    "accounts": (
        gettext_lazy(
            "Accounts and sign-in: the accounts your employer asks for, invitations, sign-in, "
            "password resets, their protection against password guessing (failed attempts "
            "counted under a keyed hash of the email, never the address itself, for at most an "
            "hour) and the acceptance of the terms of use."
        ),
        (CLIENT_USERS, STAFF),
    ),
    "onboarding": (
        gettext_lazy(
            "Onboarding: importing your employer's list of users and keeping the accounts in step "
            "with it (file import, SCIM provisioning)."
        ),
        (CLIENT_USERS,),
    ),
    "sessions": (
        gettext_lazy("Sessions: keeping you signed in between pages."),
        (CLIENT_USERS, STAFF),
    ),
    "practices": (
        gettext_lazy(
            "Sharing best practices: reactions, reads and monthly activity, for the feed and the "
            "managers' aggregated dashboard."
        ),
        (CLIENT_USERS,),
    ),
    "notifications": (
        gettext_lazy("Notifications and the mail digest you chose to receive."),
        (CLIENT_USERS,),
    ),
    "api": (
        gettext_lazy("The REST API: when each access token was last used."),
        (CLIENT_USERS,),
    ),
    "audit": (
        gettext_lazy(
            "The access log: who reached which data and when, for security and accountability; "
            "your organization's managers can read it."
        ),
        (CLIENT_USERS, STAFF),
    ),
    "staff": (
        gettext_lazy(
            "Operator staff access: emergency access requests to a client's data, their "
            "approval and expiry."
        ),
        (STAFF,),
    ),
    "otp_totp": (
        gettext_lazy("The second factor (authenticator app) that operator staff must use."),
        (STAFF,),
    ),
    "otp_static": (
        gettext_lazy("The recovery codes of operator staff's second factor."),
        (STAFF,),
    ),
    "rights": (
        gettext_lazy(
            "Your requests about your data (access, rectification, erasure, portability): "
            "handling them within the legal deadline and keeping the proof."
        ),
        (CLIENT_USERS,),
    ),
    "subprocessors": (
        gettext_lazy(
            "Subprocessor changes: the notices sent to your organization and its managers' "
            "acknowledgements and objections."
        ),
        (CLIENT_USERS,),
    ),
    "retention": (
        gettext_lazy(
            "Retention: legal holds placed by our security officer, the export of your "
            "organization's data offered before its deletion, and the deletion certificates."
        ),
        (CLIENT_USERS, STAFF),
    ),
}


def category_label(code: str) -> str:
    label = CATEGORY_LABELS.get(code)
    if label is not None:
        return str(label)
    try:
        return str(Category(code).label)
    except ValueError:
        return code


def describe_duration(seconds: int) -> str:
    """A cookie's lifetime in words: whole days, else hours, else minutes."""
    if seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    minutes = max(1, seconds // 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


@dataclass(frozen=True)
class Holder:
    """Where a category is held: one table (by its readable name) and its fields."""

    model: str
    verbose_name: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class CategoryFacts:
    code: str
    label: str
    text: str
    holders: tuple[Holder, ...]
    retentions: tuple[str, ...]  # Retention codes of its fields

    @property
    def field_count(self) -> int:
        return sum(len(h.fields) for h in self.holders)


@dataclass(frozen=True)
class SubprocessorFacts:
    slug: str
    name: str
    service: str
    purpose: str
    categories: tuple[str, ...]  # Category codes
    category_labels: tuple[str, ...]
    data_subjects: str
    locations: tuple[str, ...]
    transfer_safeguards: str
    dpa_reference: str
    security_contact: str
    effective_from: datetime.date | None
    version: int


@dataclass(frozen=True)
class ActivityFacts:
    """One processing activity: an app that holds personal data, what and about whom."""

    app_label: str
    purpose: str
    data_subjects: tuple[str, ...]
    categories: tuple[str, ...]  # Category codes
    category_labels: tuple[str, ...]
    retentions: tuple[str, ...]  # the rules' descriptions
    recipients: tuple[str, ...]  # subprocessor names


@dataclass(frozen=True)
class RetentionFacts:
    code: str
    description: str
    days_after_contract_end: int | None
    category_labels: tuple[str, ...]


@dataclass(frozen=True)
class CookieFacts:
    name: str
    purpose: str
    lifetime_seconds: int | None  # None: deleted when the browser closes
    http_only: bool
    secure: bool
    same_site: str

    @property
    def lifetime(self) -> str:
        if self.lifetime_seconds is None:
            return _("Until the browser is closed")
        return describe_duration(self.lifetime_seconds)


@dataclass(frozen=True)
class StorageFacts:
    database: str
    files: str
    primary_region: str
    replica_region: str
    https_only: bool
    hsts_days: int
    database_tls: bool
    row_level_security: bool


@dataclass(frozen=True)
class PolicyFacts:
    operator: str
    contact: str
    request_url: str
    dsr_deadline_months: int
    dsr_max_extension_months: int
    notice_days: int
    categories: tuple[CategoryFacts, ...]
    activities: tuple[ActivityFacts, ...]
    subprocessors: tuple[SubprocessorFacts, ...]
    announced_changes: tuple[registry.PublicChange, ...]
    storage: StorageFacts
    retention: tuple[RetentionFacts, ...]
    cookies: tuple[CookieFacts, ...]
    security_measures: tuple[str, ...]
    generated_on: datetime.date
    unexplained: tuple[str, ...] = field(default=())  # apps/categories lacking their text


def _personal_entries() -> list[FieldEntry]:
    return [e for e in inventory() if e.personal]


def _category_order(code: str) -> int:
    order = list(Category.values)
    return order.index(code) if code in order else len(order)


def _categories(entries: list[FieldEntry]) -> tuple[CategoryFacts, ...]:
    by_category: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    retentions: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        by_category[entry.category][entry.model].append(entry.field)
        retentions[entry.category].add(entry.retention)
    facts = []
    for code in sorted(PERSONAL_CATEGORIES, key=_category_order):
        holders = []
        for label, names in sorted(by_category.get(code, {}).items()):
            model = apps.get_model(label)
            holders.append(
                Holder(
                    model=label,
                    verbose_name=capfirst(str(model._meta.verbose_name)),
                    fields=tuple(str(model._meta.get_field(name).verbose_name) for name in names),
                )
            )
        text = CATEGORY_TEXTS.get(code)
        facts.append(
            CategoryFacts(
                code=str(code),
                label=category_label(code),
                text=str(text) if text is not None else "",
                holders=tuple(holders),
                retentions=tuple(
                    sorted(retentions.get(code, ()), key=list(Retention.values).index)
                ),
            )
        )
    return tuple(facts)


def location_text(location) -> str:
    if isinstance(location, dict):
        name = str(location.get("name", "")).strip()
        region = str(location.get("region", "")).strip()
        if name and region:
            return f"{name}, {region}"
        return name or region
    return str(location)


def operator_name() -> str:
    return settings.GROVE_OPERATOR_NAME


def notice_days() -> int:
    """Days between a notice to clients and the change it announces (at least)."""
    return settings.GROVE_SUBPROCESSOR_NOTICE_DAYS


def collect_subprocessors() -> tuple[SubprocessorFacts, ...]:
    """The active subprocessors as the public pages state them."""
    facts = []
    for sub in registry.active_subprocessors():
        codes = tuple(sorted((str(c) for c in sub.data_categories or []), key=_category_order))
        facts.append(
            SubprocessorFacts(
                slug=sub.slug,
                name=sub.name,
                service=sub.service,
                purpose=sub.purpose,
                categories=codes,
                category_labels=tuple(category_label(c) for c in codes),
                data_subjects=sub.data_subjects,
                locations=tuple(location_text(loc) for loc in (sub.locations or [])),
                transfer_safeguards=sub.transfer_safeguards,
                dpa_reference=sub.dpa_reference,
                security_contact=sub.security_contact,
                effective_from=sub.effective_from,
                version=sub.version,
            )
        )
    return tuple(facts)


def _activities(
    entries: list[FieldEntry], subprocessors: tuple[SubprocessorFacts, ...]
) -> tuple[tuple[ActivityFacts, ...], list[str]]:
    by_app: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for entry in entries:
        app_label = entry.model.split(".", 1)[0]
        by_app[app_label]["categories"].add(entry.category)
        by_app[app_label]["retentions"].add(entry.retention)
    all_rules = rules()
    activities, unexplained = [], []
    # In the order of ACTIVITIES (the reading order), then any app without a text.
    ordered = [a for a in ACTIVITIES if a in by_app] + sorted(set(by_app) - set(ACTIVITIES))
    purpose: StrOrPromise
    for app_label in ordered:
        found = by_app[app_label]
        codes = tuple(sorted(found["categories"], key=_category_order))
        if app_label in ACTIVITIES:
            purpose, subjects = ACTIVITIES[app_label]
        else:
            unexplained.append(f"app {app_label}")
            purpose, subjects = apps.get_app_config(app_label).verbose_name, ()
        activities.append(
            ActivityFacts(
                app_label=app_label,
                purpose=str(purpose),
                data_subjects=tuple(str(s) for s in subjects),
                categories=codes,
                category_labels=tuple(category_label(c) for c in codes),
                retentions=tuple(
                    str(all_rules[r].description)
                    for r in sorted(found["retentions"], key=list(Retention.values).index)
                ),
                recipients=tuple(s.name for s in subprocessors if set(s.categories) & set(codes)),
            )
        )
    return tuple(activities), unexplained


def _retention(entries: list[FieldEntry]) -> tuple[RetentionFacts, ...]:
    used: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        used[entry.retention].add(entry.category)
    facts = []
    for code, rule in rules().items():
        if code not in used:
            continue
        facts.append(
            RetentionFacts(
                code=str(code),
                description=str(rule.description),
                days_after_contract_end=rule.days_after_contract_end,
                category_labels=tuple(
                    category_label(c) for c in sorted(used[code], key=_category_order)
                ),
            )
        )
    return tuple(facts)


def _routes_to(view) -> bool:
    """Whether any URL of the site reaches ``view`` (e.g. Django's set_language)."""

    def walk(patterns) -> bool:
        for pattern in patterns:
            if isinstance(pattern, URLResolver) and walk(pattern.url_patterns):
                return True
            if isinstance(pattern, URLPattern) and pattern.callback is view:
                return True
        return False

    return walk(get_resolver().url_patterns)


def _message_storage_uses_cookie() -> bool:
    storage = import_string(settings.MESSAGE_STORAGE)
    if issubclass(storage, CookieStorage):
        return True
    return issubclass(storage, FallbackStorage) and any(
        issubclass(cls, CookieStorage) for cls in storage.storage_classes
    )


def cookies() -> tuple[CookieFacts, ...]:
    """Every cookie the platform can set, with its settings (the tests prove the list against
    the Set-Cookie headers of real requests)."""
    found = [
        CookieFacts(
            name=settings.SESSION_COOKIE_NAME,
            purpose=_(
                "Keeps you signed in (and, for operator staff, remembers the second factor). "
                "It holds a random identifier only."
            ),
            lifetime_seconds=None
            if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
            else settings.SESSION_COOKIE_AGE,
            http_only=settings.SESSION_COOKIE_HTTPONLY,
            secure=settings.SESSION_COOKIE_SECURE,
            same_site=str(settings.SESSION_COOKIE_SAMESITE or ""),
        )
    ]
    if not settings.CSRF_USE_SESSIONS:
        found.append(
            CookieFacts(
                name=settings.CSRF_COOKIE_NAME,
                purpose=_(
                    "Protects the forms against cross-site request forgery. It holds a random "
                    "token only."
                ),
                lifetime_seconds=settings.CSRF_COOKIE_AGE,
                http_only=settings.CSRF_COOKIE_HTTPONLY,
                secure=settings.CSRF_COOKIE_SECURE,
                same_site=str(settings.CSRF_COOKIE_SAMESITE or ""),
            )
        )
    if _message_storage_uses_cookie():
        found.append(
            CookieFacts(
                name=CookieStorage.cookie_name,
                purpose=_(
                    "Carries a confirmation message (such as “saved”) to the next page, then is "
                    "deleted."
                ),
                lifetime_seconds=None,
                http_only=settings.SESSION_COOKIE_HTTPONLY,
                secure=settings.SESSION_COOKIE_SECURE,
                same_site=str(settings.SESSION_COOKIE_SAMESITE or ""),
            )
        )
    if _routes_to(set_language):
        found.append(
            CookieFacts(
                name=settings.LANGUAGE_COOKIE_NAME,
                purpose=_("Remembers the language you chose for the interface."),
                lifetime_seconds=settings.LANGUAGE_COOKIE_AGE,
                http_only=settings.LANGUAGE_COOKIE_HTTPONLY,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                same_site=str(settings.LANGUAGE_COOKIE_SAMESITE or ""),
            )
        )
    return tuple(found)


def _files_storage() -> str:
    backend = settings.STORAGES["default"]["BACKEND"]
    if backend.endswith("AzureStorage"):
        return _("Azure Blob Storage, in a private container")
    if backend.endswith("FileSystemStorage"):
        return _("The application server's disk")
    return backend.rsplit(".", 1)[-1]


def storage() -> StorageFacts:
    options = settings.DATABASES["default"].get("OPTIONS", {})
    return StorageFacts(
        database=connection.display_name,
        files=_files_storage(),
        primary_region=settings.GROVE_HOSTING_PRIMARY_REGION,
        replica_region=settings.GROVE_HOSTING_REPLICA_REGION,
        https_only=bool(settings.SECURE_SSL_REDIRECT),
        hsts_days=int(settings.SECURE_HSTS_SECONDS) // 86400,
        database_tls=options.get("sslmode") in {"require", "verify-ca", "verify-full"},
        row_level_security=connection.vendor == "postgresql",
    )


def security_measures(facts: StorageFacts) -> tuple[str, ...]:
    """The measures in force, each derived from the configuration that enforces it."""
    measures = []
    if facts.https_only:
        if facts.hsts_days:
            measures.append(
                _(
                    "Encryption in transit: HTTPS only (TLS), plain HTTP redirected, browsers "
                    "told to use HTTPS for %(days)d days (HSTS)."
                )
                % {"days": facts.hsts_days}
            )
        else:
            measures.append(_("Encryption in transit: HTTPS only (TLS), plain HTTP redirected."))
    if facts.database_tls:
        measures.append(_("The connection between the application and the database uses TLS."))
    # A hosting fact rather than a setting: docs/operations.md, "Encryption at rest".
    measures.append(
        _(
            "Encryption at rest: the hosting provider encrypts the database volumes, their logs "
            "and the backups; the keys are kept in its key management service."
        )
    )
    if facts.row_level_security:
        measures.append(
            _(
                "Isolation between clients: every query is scoped to one organization, and "
                "PostgreSQL row-level security refuses another organization's rows."
            )
        )
    if "grove.audit" in settings.INSTALLED_APPS:
        measures.append(
            _(
                "An append-only access log, its entries chained by keyed hashes so that a "
                "change or a deletion is detected; it holds ids, never names or emails."
            )
        )
    if "grove.accounts.second_factor_middleware.StaffSecondFactorMiddleware" in settings.MIDDLEWARE:
        measures.append(
            _(
                "Operator staff reach nothing until they prove a second factor (authenticator "
                "app), and reach a client's data only when assigned or through an approved, "
                "logged emergency access."
            )
        )
    if settings.PASSWORD_HASHERS and "Argon2" in settings.PASSWORD_HASHERS[0]:
        measures.append(_("Passwords are stored as Argon2 hashes only."))
    if settings.SESSION_COOKIE_HTTPONLY and settings.SESSION_COOKIE_SECURE:
        measures.append(
            _("The session cookie is sent over HTTPS only and is out of reach of scripts.")
        )
    measures.append(
        _(
            "Personal data is removed from application logs and error reports before they "
            "leave the application."
        )
    )
    return tuple(measures)


def request_url() -> str:
    """The public data-subject request form."""
    for name in PUBLIC_REQUEST_URL_NAMES:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return PUBLIC_REQUEST_PATH


def collect(*, today: datetime.date | None = None) -> PolicyFacts:
    """Every fact the policy and the ROPA state, read now from the running configuration.

    Call it in the language to render (its texts are translated when collected).
    """
    entries = _personal_entries()
    subprocessors = collect_subprocessors()
    categories = _categories(entries)
    activities, unexplained = _activities(entries, subprocessors)
    unexplained += [f"category {c.code}" for c in categories if not c.text]
    stored = storage()
    return PolicyFacts(
        operator=operator_name(),
        contact=settings.GROVE_PRIVACY_CONTACT,
        request_url=request_url(),
        dsr_deadline_months=settings.GROVE_DSR_DEADLINE_MONTHS,
        dsr_max_extension_months=settings.GROVE_DSR_MAX_EXTENSION_MONTHS,
        notice_days=notice_days(),
        categories=categories,
        activities=activities,
        subprocessors=subprocessors,
        announced_changes=tuple(registry.announced_changes()),
        storage=stored,
        retention=_retention(entries),
        cookies=cookies(),
        security_measures=security_measures(stored),
        generated_on=today or timezone.localdate(),
        unexplained=tuple(unexplained),
    )
