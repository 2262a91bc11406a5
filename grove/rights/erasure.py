"""Erasure of one person (GDPR Art. 17), driven by the data map and the schema, never by a list.

Every model is read from the data map (``grove.privacy.datamap``). A row is about the person
when one of its foreign keys points at their user row; what happens to it follows what the
model's author said should happen if the person were deleted, i.e. the key's ``on_delete``:

- ``CASCADE``: the row exists only for the person (reactions, bookmarks, reads, notifications,
  preferences, follows, invitations, API tokens, second-factor devices...): deleted, with the
  rows that cascade from it and the files of every deleted row's file fields.
- ``SET_NULL``: the row belongs to someone else or to the organization (a practice or a comment
  they wrote, a notification about something they did, a request step they took): kept, the
  link to the person removed, so the pages show "Former member". When the organization's
  ``erasure_deletes_practices`` is set, the practices they authored are deleted instead (their
  attachments' files too).
- ``PROTECT`` (and anything else): a record that must outlive the person (their data-subject
  requests, the exports made for them, staff grants and assignments): kept, pointing at the
  anonymised user row, and every field classified with the retention "until erased" is cleared
  (a rectification's before/after values, an export's file and link).

The user row itself stays (records point at it) with every personal field (the policy's
personal categories, credentials and account settings) anonymised irreversibly. Models the
person is linked to without a foreign key have a finder here: the database sessions (their
encoded data holds the user id). Access-log events hold pseudonymous ids only and are never
edited. Fields classified as person references that are plain ids (the access log, the ledger)
are kept: they name nobody once the user row is anonymised.

The ledger (``ErasureRecord``) keeps a keyed hash of the email (HMAC-SHA256 with
``GROVE_ERASURE_LEDGER_KEY``, else ``AUDIT_HASH_KEY``) and the user id, so that
``replay_erasures`` erases a person again after a restore from an older backup. A copy of each
entry (the same hash and ids) is written to the default storage after the commit
(``erasure-ledger/<id>.json``): a database restored from a backup older than the erasure has
lost the entry too, and the replay puts it back from the copy first.

Freed storage: SQLite runs with ``PRAGMA secure_delete = ON`` (settings, and again here), so
freed cells are zeroed. PostgreSQL keeps dead row versions until a VACUUM: after the commit,
every touched table is vacuumed by a task (``VACUUM (INDEX_CLEANUP ON)``, in the worker), which
removes every dead version and index entry without blocking anyone; PostgreSQL does not zero
the space they leave in a page, so their bytes linger there until overwritten, and only
``VACUUM FULL`` (a rewrite under an exclusive lock: ``erasure_vacuum(full=True)``, for a
maintenance window) leaves no page holding them. PostgreSQL 15 lets only a table's owner (or
the database owner, or a superuser) vacuum it: when the connection logged in as the owner and
switched to the application role (``GROVE_DB_APP_ROLE``), the vacuum runs as the login role;
when it logged in as the application role itself, the tables it cannot vacuum are logged
(names only) and must be vacuumed by the owner (``erasure_vacuum()`` run as the owner).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import logging
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.db.models.deletion import Collector
from django.utils import timezone
from django.utils.translation import gettext as _

from grove.accounts.models import OrgRole, StaffRole
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.privacy.datamap import (
    PERSONAL_CATEGORIES,
    Category,
    DataMapError,
    Retention,
    declared_map,
    mapped_models,
)
from grove.tenancy.context import unscoped

from .errors import RightsRefusal
from .models import DataSubjectRequest, ErasureRecord, RequestState, RequestType

if TYPE_CHECKING:
    from django.core.files.storage import Storage

    from grove.accounts.models import User
    from grove.tenancy.models import Organization

logger = logging.getLogger(__name__)

# The fields of the user row that an erasure anonymises.
ERASED_CATEGORIES = frozenset({*PERSONAL_CATEGORIES, Category.CREDENTIAL, Category.ACCOUNT_SETTING})
ERASED_EMAIL_DOMAIN = "erased.invalid"


class Treatment:
    DELETE = "deleted"
    UNLINK = "unlinked"
    KEEP = "anonymised"


@dataclass(frozen=True)
class Reference:
    """A foreign key (or many-to-many) from a mapped model to the user model."""

    model: type[models.Model]
    field: models.Field

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def many_to_many(self) -> bool:
        return bool(self.field.many_to_many)

    @property
    def treatment(self) -> str:
        if self.many_to_many:
            return Treatment.DELETE  # the link row of the many-to-many table
        on_delete = cast(models.ForeignKey, self.field).remote_field.on_delete  # not m2m: a FK
        if on_delete is models.CASCADE:
            return Treatment.DELETE
        if on_delete is models.SET_NULL:
            return Treatment.UNLINK
        return Treatment.KEEP


def _user_model() -> type[User]:
    return get_user_model()


def person_references() -> list[Reference]:
    """Every foreign key to the user model among the data map's models, in a stable order."""
    user_model = _user_model()
    found = []
    for model in sorted(mapped_models(), key=lambda m: m._meta.label):
        for f in [*model._meta.local_concrete_fields, *model._meta.local_many_to_many]:
            if f.is_relation and f.related_model is user_model:
                found.append(Reference(model, f))
    return found


def _finders() -> dict[str, Callable[[Any], models.QuerySet]]:
    """Models the person is linked to without a foreign key: label -> rows-of(subject)."""
    return {Session._meta.label: _sessions_of}


def _sessions_of(subject) -> models.QuerySet:
    """The database sessions logged in as ``subject``: their encoded data holds the user id.

    Sessions are signed blobs with no index on the user: every unexpired one is decoded. An
    erasure is rare; expired sessions are deleted whatever they hold (clearsessions does it too).
    """
    now = timezone.now()
    keys = []
    wanted = str(subject.pk)
    for key, data in Session.objects.filter(expire_date__gt=now).values_list(
        "session_key", "session_data"
    ):
        decoded = Session.objects.model(session_key=key, session_data=data).get_decoded()
        if str(decoded.get("_auth_user_id", "")) == wanted:
            keys.append(key)
    return Session.objects.filter(models.Q(session_key__in=keys) | models.Q(expire_date__lte=now))


# --- Coverage: the guard the tests run -----------------------------------------------------------


def erased_fields(model: type[models.Model]) -> list[str]:
    """The fields of ``model`` the data map classifies as personal, credential or setting."""
    declared = declared_map(model) or {}
    return [name for name, (category, _r) in declared.items() if category in ERASED_CATEGORIES]


def coverage() -> dict[str, str]:
    """How the erasure reaches every mapped model holding personal fields (label -> route).

    Routes: "person" (the user row), "reference" (a foreign key to the user), "cascade"
    (deleted with a row that is deleted), "finder" (no foreign key: found by a finder), "list"
    (an organization's file naming several people, deleted when it names the person),
    "pseudonymous" (only plain-id person references: kept), or "UNREACHED" (a gap: the tests
    fail on it).
    """
    user_model = _user_model()
    referenced = {r.model for r in person_references()}
    deleted = _cascade_closure(
        {r.model for r in person_references() if r.treatment == Treatment.DELETE}
    )
    finders = _finders()
    routes = {}
    for model in mapped_models():
        if not erased_fields(model):
            continue
        label = model._meta.label
        declared = declared_map(model) or {}
        plain_ids = [
            name
            for name, (category, _r) in declared.items()
            if category == Category.PERSON_REFERENCE and not model._meta.get_field(name).is_relation
        ]
        if model is user_model:
            routes[label] = "person"
        elif model in referenced:
            routes[label] = "reference"
        elif model in deleted:
            routes[label] = "cascade"
        elif label in finders:
            routes[label] = "finder"
        elif _naming_file_fields(model):
            routes[label] = "list"
        elif plain_ids:
            routes[label] = "pseudonymous"
        else:
            routes[label] = "UNREACHED"
    return routes


def _cascade_closure(deleted: set) -> set:
    """``deleted`` and every mapped model whose rows cascade from theirs, transitively."""
    deleted = set(deleted)
    changed = True
    while changed:
        changed = False
        for model in mapped_models():
            if model in deleted:
                continue
            for f in model._meta.local_concrete_fields:
                if (
                    f.is_relation
                    and f.related_model in deleted
                    and cast(models.ForeignKey, f).remote_field.on_delete is models.CASCADE
                ):
                    deleted.add(model)
                    changed = True
                    break
    return deleted


# --- The plan ----------------------------------------------------------------------------------


@dataclass
class ErasurePlan:
    """What an erasure of ``subject`` would do, for the request page and the officer."""

    subject_id: uuid.UUID
    # Rows per model label that would be deleted, unlinked or anonymised (a row reached two
    # ways counts twice), and the same split by treatment: {"deleted": {label: n}, ...}.
    counts: dict[str, int] = field(default_factory=dict)
    by_treatment: dict[str, dict[str, int]] = field(default_factory=dict)
    # Storage names of the files that would be deleted.
    files: list[str] = field(default_factory=list)
    deletes_practices: bool = False
    is_last_manager: bool = False
    # Who may take over as manager (active members of the organization), when needed.
    successor_candidates: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class _Work:
    """The rows an erasure touches, gathered before anything is written."""

    deletes: list[Collector] = field(default_factory=list)
    unlinks: list[tuple[models.QuerySet, str]] = field(default_factory=list)
    keeps: list[tuple[models.QuerySet, dict]] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    by_treatment: dict[str, Counter] = field(default_factory=dict)
    files: list[tuple[Storage, str]] = field(default_factory=list)
    tables: set[str] = field(default_factory=set)

    def split_counts(self) -> dict[str, dict[str, int]]:
        return {
            treatment: dict(sorted(counts.items()))
            for treatment, counts in sorted(self.by_treatment.items())
        }


def erasure_plan(subject) -> ErasurePlan:
    """What ``erase_person`` would delete, unlink and anonymise for ``subject`` (reads only)."""
    with unscoped("rights: planning the erasure of one person across every table"):
        subject = _user_model()._base_manager.select_related("organization").get(pk=subject.pk)
        organization = subject.organization
        deletes_practices = bool(organization and organization.erasure_deletes_practices)
        work = _gather(subject, deletes_practices=deletes_practices)
        last_manager = _is_last_manager(subject)
        candidates = list(_successor_candidates(subject)) if last_manager else []
    return ErasurePlan(
        subject_id=subject.pk,
        counts=dict(sorted(work.counts.items())),
        by_treatment=work.split_counts(),
        files=sorted(name for _storage, name in work.files),
        deletes_practices=deletes_practices,
        is_last_manager=last_manager,
        successor_candidates=candidates,
    )


def _gather(subject, *, deletes_practices: bool, lock: bool = False) -> _Work:
    work = _Work()
    collector = Collector(using="default")
    for reference in person_references():
        model, name = reference.model, reference.field.name
        if reference.many_to_many:
            m2m = cast(models.ManyToManyField, reference.field)
            # Set once the models are loaded (Django makes one when none is declared).
            through = cast(type[models.Model], m2m.remote_field.through)
            rows = through._base_manager.filter(**{m2m.m2m_reverse_field_name(): subject})
            _note(work, through, rows.count(), Treatment.DELETE)
            collector.collect(rows)
            continue
        rows = model._base_manager.filter(**{name: subject})
        treatment = reference.treatment
        if deletes_practices and _is_authored_practice(reference):
            treatment = Treatment.DELETE
        count = rows.count()
        if not count:
            continue
        if treatment == Treatment.DELETE:
            collector.collect(rows)
        elif treatment == Treatment.UNLINK:
            work.unlinks.append((rows, name))
            _note(work, model, count, Treatment.UNLINK)
        else:
            cleared = _until_erased_values(model)
            if cleared:
                work.keeps.append((rows, cleared))
                _note(work, model, count, Treatment.KEEP)
                work.files += _files_of(model, rows, only=cleared)
    for finder in _finders().values():
        collector.collect(finder(subject))
    for rows, name, files in _lists_naming(subject, lock=lock):
        work.keeps.append((rows, {name: ""}))
        _note(work, rows.model, len(files), Treatment.KEEP)
        work.files += files
    # What the deletion takes with it, cascades included (counted from the collector).
    for model, instances in collector.data.items():
        if instances:
            _note(work, model, len(instances), Treatment.DELETE)
            work.files += _files_of(model, instances)
    for rows in collector.fast_deletes:
        count = rows.count()
        if count:
            _note(work, rows.model, count, Treatment.DELETE)
            work.files += _files_of(rows.model, rows)
    work.deletes = [collector]
    _note(work, _user_model(), 1, Treatment.KEEP)
    return work


def _lists_naming(
    subject, *, lock: bool = False
) -> list[tuple[models.QuerySet, str, list[tuple[Storage, str]]]]:
    """Stored lists of the person's organization that name them (a previewed user list).

    A file field classified as personal data kept "until erased" on a row of the
    organization (not a row about the person: those are reached by their reference) holds
    several people: it cannot be edited, so the files that contain the person's email are
    deleted (and a pending import of that list can no longer re-create them).
    """
    if subject.organization_id is None:
        return []
    found = []
    needle = (subject.email or "").strip().lower().encode()
    for model in mapped_models():
        for f in _naming_file_fields(model):
            name = f.name
            if lock:
                # Every such row of the organization, those still without a file too, locked
                # until the erasure commits: a file being made meanwhile (an organization
                # export) is stored only once its maker has seen this erasure, or is searched
                # here after it was stored (grove/retention/org_export.py).
                list(
                    model._base_manager.filter(organization_id=subject.organization_id)
                    .select_for_update()
                    .values_list("pk", flat=True)
                )
            rows = model._base_manager.filter(organization_id=subject.organization_id).exclude(
                **{name: ""}
            )
            pks, files = [], []
            for pk, stored in rows.values_list("pk", f.attname):
                if stored and _file_contains(f.storage, stored, needle):
                    pks.append(pk)
                    files.append((f.storage, stored))
            if pks:
                found.append((model._base_manager.filter(pk__in=pks), name, files))
    return found


def _naming_file_fields(model) -> list[models.FileField]:
    """File fields of an organization's rows that may name several people: classified as
    personal data kept until the person's erasure (a user list, an organization export)."""
    declared = declared_map(model) or {}
    if "organization" not in declared:
        return []
    found = []
    for name, (category, retention) in declared.items():
        f = model._meta.get_field(name)
        if (
            isinstance(f, models.FileField)
            and category in PERSONAL_CATEGORIES
            and retention == Retention.UNTIL_ERASED
        ):
            found.append(f)
    return found


def _file_contains(storage, name: str, needle: bytes) -> bool:
    """Whether the stored file holds ``needle`` (lower-cased bytes), read in chunks; inside a
    ZIP archive (an organization export), every member is read decompressed."""
    if not needle:
        return False
    try:
        with storage.open(name, "rb") as stored:
            if name.lower().endswith(".zip") and zipfile.is_zipfile(stored):
                stored.seek(0)
                with zipfile.ZipFile(stored) as archive:
                    for member in archive.infolist():
                        if member.is_dir():
                            continue
                        with archive.open(member) as content:
                            if _stream_contains(content, needle):
                                return True
                return False
            stored.seek(0)
            return _stream_contains(stored, needle)
    except (FileNotFoundError, zipfile.BadZipFile):
        return False


def _stream_contains(stream, needle: bytes) -> bool:
    tail = b""
    while chunk := stream.read(1 << 20):
        window = (tail + chunk).lower()
        if needle in window:
            return True
        tail = window[-len(needle) :]
    return False


def _note(work: _Work, model, count: int, treatment: str) -> None:
    if not count:
        return
    label = model._meta.label
    work.counts[label] += count
    work.by_treatment.setdefault(treatment, Counter())[label] += count
    work.tables.add(model._meta.db_table)


def _is_authored_practice(reference: Reference) -> bool:
    return reference.label == "practices.Practice" and reference.field.name == "author"


def _until_erased_values(model) -> dict:
    """The blank value of each field of a kept record that lives "until erased"."""
    declared = declared_map(model) or {}
    user_model = _user_model()
    values = {}
    for name, (_category, retention) in declared.items():
        if retention != Retention.UNTIL_ERASED:
            continue
        f = model._meta.get_field(name)
        if f.is_relation and f.related_model is user_model:
            continue  # the reference itself: the record keeps pointing at the anonymised row
        values[name] = _blank_value(f)
    return values


def _blank_value(f: models.Field):
    """The value that says nothing: null, empty, or the field's default."""
    if isinstance(f, models.FileField):
        return ""
    if f.null:
        return None
    if isinstance(f, models.JSONField):
        return f.get_default() if f.has_default() else {}
    if isinstance(f, models.CharField | models.TextField):
        return ""
    if f.has_default():
        return f.get_default()
    raise DataMapError(f"{f.model._meta.label}.{f.name}: no value to erase it with")


def _file_fields(model, only=None) -> list[models.FileField]:
    return [
        f
        for f in model._meta.local_concrete_fields
        if isinstance(f, models.FileField) and (only is None or f.name in only)
    ]


def _files_of(model, rows, only=None) -> list[tuple[Storage, str]]:
    """(storage, name) of every stored file of ``rows`` (a queryset or instances)."""
    fields = _file_fields(model, only)
    if not fields:
        return []
    found = []
    values: Iterable[tuple[Any, ...]]
    if isinstance(rows, models.QuerySet):
        values = rows.values_list(*[f.attname for f in fields])
    else:
        values = [tuple(getattr(row, f.attname) for f in fields) for row in rows]
    for names in values:
        for f, name in zip(fields, names, strict=True):
            if name:
                found.append((f.storage, str(name)))
    return found


# --- The last manager --------------------------------------------------------------------------


def _is_last_manager(subject) -> bool:
    if subject.organization_id is None or subject.org_role != OrgRole.MANAGER:
        return False
    others = (
        _user_model()
        ._base_manager.filter(
            organization_id=subject.organization_id,
            org_role=OrgRole.MANAGER,
            is_active=True,
            erased_at__isnull=True,
        )
        .exclude(pk=subject.pk)
    )
    return not others.exists()


def _successor_candidates(subject) -> models.QuerySet:
    return (
        _user_model()
        ._base_manager.filter(
            organization_id=subject.organization_id, is_active=True, erased_at__isnull=True
        )
        .exclude(pk=subject.pk)
        .order_by("last_name", "first_name")
    )


def _checked_successor(subject, successor_manager):
    """The successor to promote (None when the person is not the last manager)."""
    if not _is_last_manager(subject):
        return None
    if successor_manager is None:
        raise RightsRefusal(
            _(
                "This person is the organization's last manager: choose who takes over "
                "before erasing them."
            )
        )
    successor = (
        _successor_candidates(subject)
        .select_for_update()
        .filter(pk=getattr(successor_manager, "pk", successor_manager))
        .first()
    )
    if successor is None:
        raise RightsRefusal(_("The successor must be an active member of the same organization."))
    return successor


def _promote(successor, *, actor, request) -> None:
    previous = successor.org_role
    successor.org_role = OrgRole.MANAGER
    successor.save(update_fields=["org_role"])
    record_event(
        action=AuditAction.ROLE_CHANGED,
        actor=actor,
        organization=successor.organization_id,
        object_type="user",
        object_ids=[successor.pk],
        subject_user=successor,
        request=request,
        details={"from": previous, "to": OrgRole.MANAGER, "reason": "erasure_successor"},
    )


# --- Erasure -----------------------------------------------------------------------------------


def ledger_hash(email: str) -> str:
    """HMAC-SHA256 of the lower-cased email, with the ledger's key: nothing readable."""
    key = getattr(settings, "GROVE_ERASURE_LEDGER_KEY", "") or settings.AUDIT_HASH_KEY
    return hmac.new(
        key.encode(), (email or "").strip().lower().encode(), hashlib.sha256
    ).hexdigest()


def _check_may_erase(actor, subject, dsr) -> None:
    if subject.organization_id is None:
        raise RightsRefusal(_("Operator staff accounts are not erased through this workflow."))
    if subject.erased_at is not None:
        raise RightsRefusal(_("This person has already been erased."))
    if dsr is not None:
        decider = dsr.decided_by
        if (
            dsr.subject_id != subject.pk
            or dsr.request_type != RequestType.ERASURE
            or dsr.state not in (RequestState.APPROVED, RequestState.FULFILLED)
            or decider is None
            or decider.staff_role != StaffRole.SECURITY_OFFICER
        ):
            raise RightsRefusal(
                _("Only an erasure request approved by the security officer can be fulfilled.")
            )
        return
    # Without a request: the security officer alone (an operator's replay passes no actor).
    if getattr(actor, "staff_role", None) != StaffRole.SECURITY_OFFICER or not actor.is_active:
        raise RightsRefusal(_("Only the security officer may erase a person without a request."))


@transaction.atomic
def erase_person(
    *, actor, subject, dsr: DataSubjectRequest | None = None, successor_manager=None, request=None
) -> ErasureRecord:
    """Erase ``subject`` irreversibly (see the module's docstring) and write the ledger entry.

    ``dsr`` is the approved erasure request it fulfils (the workflow's ``request_fulfil``);
    without one, only a security officer may call it. The organization's last manager is
    refused unless ``successor_manager`` (an active member of the same organization) is given:
    they are promoted (ROLE_CHANGED). Records ERASURE_APPLIED (ids and row counts only);
    after the commit, deletes the files and vacuums the touched tables.
    """
    with unscoped("rights: erasing one person's data in every table that refers to them"):
        subject = (
            _user_model()
            ._base_manager.select_for_update(of=("self",))
            .select_related("organization")
            .get(pk=subject.pk)
        )
        _check_may_erase(actor, subject, dsr)
        successor = _checked_successor(subject, successor_manager)
        email_hash = ledger_hash(subject.email)
        counts, files, tables = _erase(subject)
        if successor is not None:
            _promote(successor, actor=actor, request=request)
            tables.add(_user_model()._meta.db_table)
        record = record_erasure(subject, email_hash=email_hash, counts=counts, dsr=dsr)
        record_event(
            action=AuditAction.ERASURE_APPLIED,
            actor=actor,
            organization=subject.organization_id,
            object_type="user",
            object_ids=[subject.pk],
            subject_user=subject,
            request=request,
            details={
                "erasure_record": str(record.pk),
                "request": str(dsr.pk) if dsr is not None else "",
                "counts": counts,
                "files": len(files),
                "successor": str(successor.pk) if successor is not None else "",
            },
        )
    if dsr is not None:
        dsr.rectification = {}  # the caller's copy says what the row says now
    transaction.on_commit(partial(_after_commit, files, sorted(tables)))
    return record


def record_erasure(subject, *, email_hash: str, counts: dict, dsr=None) -> ErasureRecord:
    """The ledger entry of ``subject``'s erasure, inside the caller's transaction and scope,
    and its stored copy after the commit (a copy of an erasure that was rolled back must never
    exist). ``email_hash`` is ``ledger_hash`` of the email taken before it was anonymised."""
    record = ErasureRecord.objects.create(
        organization_id=subject.organization_id,
        email_hash=email_hash,
        user_id=subject.pk,
        request=dsr,
        counts=counts,
    )
    transaction.on_commit(partial(_write_ledger_copy, _ledger_entry(record)))
    return record


def _erase(subject) -> tuple[dict[str, dict[str, int]], list[tuple[Storage, str]], set[str]]:
    """Apply the erasure to ``subject``'s rows (inside the caller's transaction and scope)."""
    if connection.vendor == "sqlite":
        # Also in the settings' init_command: freed pages are zeroed, not left readable.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
    organization = subject.organization
    deletes_practices = bool(organization and organization.erasure_deletes_practices)
    work = _gather(subject, deletes_practices=deletes_practices, lock=True)
    for rows, name in work.unlinks:
        rows.update(**{name: None})
    for rows, values in work.keeps:
        rows.update(**values)
    for collector in work.deletes:
        collector.delete()
    _anonymise_user(subject)
    return work.split_counts(), work.files, set(work.tables)


def erase_for_retention(
    subject,
) -> tuple[dict[tuple[type[models.Model], str], list], list[tuple[Storage, str]], set[str]]:
    """The erasure of ``subject`` for a retention purge (a departed member, grove/retention):
    no request, no actor check, no ledger entry, inside the caller's transaction and scope.

    Returns the primary keys touched per (model, treatment) (for the deletion certificate's
    digests), the files to delete after the commit and the touched tables (to vacuum): the
    caller deletes the files and vacuums.
    """
    organization = subject.organization
    work = _gather(
        subject,
        deletes_practices=bool(organization and organization.erasure_deletes_practices),
        lock=True,
    )
    rows: dict[tuple[type[models.Model], str], list] = {}

    def add(model, treatment: str, pks) -> None:
        if pks:
            rows.setdefault((model, treatment), []).extend(pks)

    for queryset, _name in work.unlinks:
        add(queryset.model, Treatment.UNLINK, list(queryset.values_list("pk", flat=True)))
    for queryset, _values in work.keeps:
        add(queryset.model, Treatment.KEEP, list(queryset.values_list("pk", flat=True)))
    for collector in work.deletes:
        for model, instances in collector.data.items():
            add(model, Treatment.DELETE, [instance.pk for instance in instances])
        for queryset in collector.fast_deletes:
            add(queryset.model, Treatment.DELETE, list(queryset.values_list("pk", flat=True)))
    add(_user_model(), Treatment.KEEP, [subject.pk])
    _counts, files, tables = _erase(subject)
    return rows, files, tables


def _anonymise_user(subject) -> None:
    user_model = _user_model()
    declared = declared_map(user_model) or {}
    changed = []
    for name, (category, _retention) in declared.items():
        if category not in ERASED_CATEGORIES:
            continue
        f = cast(models.Field, user_model._meta.get_field(name))  # declared: a field of the row
        if name == user_model.EMAIL_FIELD:
            value = f"erased-{uuid.uuid4().hex}@{ERASED_EMAIL_DOMAIN}"
        elif name == "password":
            subject.set_unusable_password()
            changed.append(name)
            continue
        else:
            value = _blank_value(f)
        setattr(subject, f.attname, value)
        changed.append(name)
    subject.is_active = False
    subject.erased_at = timezone.now()
    subject.save(update_fields=[*changed, "is_active", "erased_at"])


# --- After the commit: files and freed storage --------------------------------------------------


def _after_commit(files: list[tuple[Storage, str]], tables: list[str]) -> None:
    failed = 0
    for storage, name in files:
        try:
            storage.delete(name)
        except Exception as error:  # noqa: BLE001 -- keep deleting the others, then say so
            failed += 1
            logger.error("erasure: a file could not be deleted (%s)", type(error).__name__)
    if failed:
        logger.error("erasure: %d of %d file(s) not deleted", failed, len(files))
    if connection.vendor == "postgresql" and tables:
        from .erasure_tasks import vacuum_after_erasure

        vacuum_after_erasure.enqueue(list(tables))


_MAY_VACUUM_SQL = """
SELECT pg_has_role(current_user, c.relowner, 'USAGE')
    OR pg_has_role(current_user, d.datdba, 'USAGE')
FROM pg_class c, pg_database d
WHERE c.oid = to_regclass(%s) AND d.datname = current_database()
"""


def vacuum_tables(tables, *, full: bool = False) -> tuple[list[str], list[str]]:
    """PostgreSQL: VACUUM each table (dead row versions hold the erased values until then).

    A plain ``VACUUM (INDEX_CLEANUP ON)`` removes every dead row version and index entry, and
    takes no lock that stops reads or writes; the bytes of a removed version may linger in the
    page's free space until a new row overwrites them (PostgreSQL does not zero it). ``full``
    rewrites each table and its indexes into new files (``VACUUM FULL``: an exclusive lock for
    the table's rewrite): for a maintenance window (``erasure_vacuum(full=True)``).

    Returns (vacuumed, skipped). Outside a transaction only (VACUUM cannot run in one): inside
    one, nothing is vacuumed. Runs as the login role when the connection switched to the
    application role with ``GROVE_DB_APP_ROLE``; tables the role may not vacuum are skipped and
    logged (names only) for the owner to vacuum.
    """
    tables = sorted(set(tables))
    if connection.vendor != "postgresql" or not tables:
        return [], []
    if connection.in_atomic_block:
        logger.warning("erasure: VACUUM skipped inside a transaction (%d tables)", len(tables))
        return [], tables
    from psycopg import sql

    connection.ensure_connection()
    raw = connection.connection
    app_role = getattr(settings, "GROVE_DB_APP_ROLE", "")
    vacuumed, skipped = [], []
    try:
        if app_role:
            raw.execute("RESET ROLE")
        for table in tables:
            row = raw.execute(_MAY_VACUUM_SQL, [table]).fetchone()
            if row and row[0]:
                # INDEX_CLEANUP ON: with few dead rows, VACUUM would otherwise skip the indexes,
                # which still hold the erased values (a unique index on the email, say).
                options = sql.SQL("FULL" if full else "INDEX_CLEANUP ON")
                raw.execute(sql.SQL("VACUUM ({}) {}").format(options, sql.Identifier(table)))
                vacuumed.append(table)
            else:
                skipped.append(table)
    finally:
        if app_role:
            try:
                raw.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(app_role)))
            except Exception:
                connection.close()  # never keep a connection working as the login role
                raise
    if skipped:
        logger.warning(
            "erasure: VACUUM needs the table owner for %d table(s): %s",
            len(skipped),
            ", ".join(skipped),
        )
    return vacuumed, skipped


def erasure_tables() -> list[str]:
    """Every table an erasure may touch: for the owner's ``VACUUM`` when the app role cannot."""
    references = person_references()
    touched = {r.model for r in references if not r.many_to_many}
    touched |= {
        cast(type[models.Model], cast(models.ManyToManyField, r.field).remote_field.through)
        for r in references
        if r.many_to_many
    }
    may_delete = {
        r.model for r in references if r.treatment == Treatment.DELETE or _is_authored_practice(r)
    }
    touched |= _cascade_closure(may_delete)
    touched |= {_user_model(), Session}
    return sorted(model._meta.db_table for model in touched)


def erasure_vacuum(*, full: bool = False) -> tuple[list[str], list[str]]:
    """VACUUM every table an erasure may touch, as the owner (e.g. from cron); ``full`` in a
    maintenance window rewrites them, so that no page keeps an erased value in its free space."""
    return vacuum_tables(erasure_tables(), full=full)


# --- Replay after a restore ----------------------------------------------------------------------

# A copy of each ledger entry outside the database, in the default storage: a restore of an
# older database backup loses the entries written since, the storage keeps them.
LEDGER_DIRECTORY = "erasure-ledger"


def _ledger_entry(record: ErasureRecord) -> dict:
    return {
        "id": str(record.pk),
        "organization_id": str(record.organization_id),
        "email_hash": record.email_hash,
        "user_id": str(record.user_id),
        "erased_at": record.erased_at.isoformat(),
    }


def ledger_copy_name(organization_id, entry_id) -> str:
    """One directory per organization: the organization's purge deletes it with the rest."""
    return f"{LEDGER_DIRECTORY}/{organization_id}/{entry_id}.json"


def ledger_copy_names(record_pks) -> list[str]:
    """The stored copies of these ledger entries (the retention purge deletes them with their
    rows: the copies are files no FileField names)."""
    with unscoped("rights: the stored copies of ledger entries"):
        rows = ErasureRecord._base_manager.filter(pk__in=record_pks).values_list(
            "organization_id", "pk"
        )
        return [ledger_copy_name(organization_id, pk) for organization_id, pk in rows]


def _write_ledger_copy(entry: dict) -> None:
    try:
        default_storage.save(
            ledger_copy_name(entry["organization_id"], entry["id"]),
            ContentFile(json.dumps(entry, sort_keys=True).encode()),
        )
    except Exception as error:  # noqa: BLE001 -- the erasure is done; say the copy is missing
        logger.error("erasure: the ledger copy was not written (%s)", type(error).__name__)


def restore_ledger() -> int:
    """Put back the ledger entries the database lost (a restore) from their stored copies."""
    try:
        organizations, _files = default_storage.listdir(LEDGER_DIRECTORY)
    except FileNotFoundError:
        return 0
    names = []
    for organization in sorted(organizations):
        _directories, files = default_storage.listdir(f"{LEDGER_DIRECTORY}/{organization}")
        names += [f"{organization}/{name}" for name in sorted(files) if name.endswith(".json")]
    restored = 0
    with unscoped("rights: restoring the erasure ledger from its stored copies"):
        known = {str(pk) for pk in ErasureRecord.objects.values_list("pk", flat=True)}
        for name in names:
            if name.rsplit("/", 1)[-1].removesuffix(".json") in known:
                continue
            with default_storage.open(f"{LEDGER_DIRECTORY}/{name}", "rb") as stored:
                entry = json.loads(stored.read())
            if entry["id"] in known or not _organization_exists(entry["organization_id"]):
                continue  # an organization the restored database never had: nobody to erase
            ErasureRecord.objects.create(
                id=uuid.UUID(entry["id"]),
                organization_id=uuid.UUID(entry["organization_id"]),
                email_hash=entry["email_hash"],
                user_id=uuid.UUID(entry["user_id"]),
                erased_at=datetime.datetime.fromisoformat(entry["erased_at"]),
            )
            restored += 1
    return restored


def _organization_exists(organization_id: str) -> bool:
    from grove.tenancy.models import Organization

    return Organization.objects.filter(pk=uuid.UUID(organization_id)).exists()


def replay_erasures(*, actor=None) -> int:
    """Erase again every ledger entry's person whose row a restore brought back.

    First the entries the database lost are put back from their stored copies
    (``restore_ledger``). A restored row is the entry's user id with an email whose keyed hash
    is the entry's (an erased row's email is random). A person invited again later has a new
    id: untouched. The organization's last manager is erased all the same (the erasure was
    decided; the event says the organization was left without a manager). Records
    ERASURE_REPLAYED.
    """
    restored = restore_ledger()
    if restored:
        logger.warning("erasure replay: %d ledger entries restored from storage", restored)
    replayed = 0
    with unscoped("rights: replaying the erasure ledger after a restore"):
        entries = list(ErasureRecord.objects.order_by("erased_at").values_list("pk", flat=True))
    for entry_id in entries:
        if _replay_one(entry_id, actor=actor):
            replayed += 1
    return replayed


@transaction.atomic
def _replay_one(entry_id, *, actor) -> bool:
    with unscoped("rights: replaying one erasure of the ledger"):
        entry = ErasureRecord.objects.get(pk=entry_id)
        subject = (
            _user_model()
            ._base_manager.select_for_update(of=("self",))
            .select_related("organization")
            .filter(pk=entry.user_id)
            .first()
        )
        if subject is None or not hmac.compare_digest(ledger_hash(subject.email), entry.email_hash):
            return False
        left_without_manager = _is_last_manager(subject)
        counts, files, tables = _erase(subject)
        record_event(
            action=AuditAction.ERASURE_REPLAYED,
            actor=actor,
            organization=subject.organization_id,
            object_type="user",
            object_ids=[subject.pk],
            subject_user=subject,
            details={
                "erasure_record": str(entry.pk),
                "counts": counts,
                "files": len(files),
                "left_without_manager": left_without_manager,
            },
        )
    if left_without_manager:
        logger.warning(
            "erasure replay: organization %s has no manager left", subject.organization_id
        )
    transaction.on_commit(partial(_after_commit, files, sorted(tables)))
    return True


# --- The operators' command --------------------------------------------------------------------


def erase_for_operator(*, email: str, officer_email: str, successor_email: str = "") -> str:
    """``manage.py dsr erase``: the whole workflow, approved by ``officer_email``.

    A request is filed (channel OTHER, by the officer), identity confirmed ("operator
    command"), taken, sent for approval, approved by the officer and fulfilled, each through the
    workflow's actions, in one transaction (all or nothing). Refuses an unknown email, an
    officer who is not an active security officer, an organization whose contract ended.
    Returns a one-line summary without personal data.
    """
    from . import actions
    from .models import Channel

    user_model = _user_model()
    with transaction.atomic():
        with unscoped("rights: dsr erase, an operator's command"):
            subject = (
                user_model._base_manager.select_related("organization")
                .filter(
                    email=user_model.objects.normalize_email(email),
                    organization__isnull=False,
                    erased_at__isnull=True,
                )
                .first()
            )
            if subject is None:
                raise RightsRefusal(_("No client user has this email."))
            officer = user_model._base_manager.filter(
                email=user_model.objects.normalize_email(officer_email),
                staff_role=StaffRole.SECURITY_OFFICER,
                is_active=True,
            ).first()
            if officer is None:
                raise RightsRefusal(_("The officer must be an active security officer."))
            # Found with organization__isnull=False.
            if not cast("Organization", subject.organization).is_active:
                raise RightsRefusal(_("The organization's contract has ended."))
            successor = None
            if successor_email:
                successor = (
                    _successor_candidates(subject)
                    .filter(email=user_model.objects.normalize_email(successor_email))
                    .first()
                )
                if successor is None:
                    raise RightsRefusal(
                        _("The successor must be an active member of the same organization.")
                    )
            if _is_last_manager(subject) and successor is None:
                raise RightsRefusal(
                    _(
                        "This person is the organization's last manager: name who takes over "
                        "(--successor)."
                    )
                )
        dsr = actions.request_file(
            actor=officer, subject=subject, request_type=RequestType.ERASURE, channel=Channel.OTHER
        )
        if dsr.state == RequestState.AWAITING_APPROVAL and dsr.refusal_ground:
            # An open erasure request already waits for a decision on a proposed refusal.
            raise RightsRefusal(
                _("An open erasure request awaits a decision on a refusal: decide it first.")
            )
        for state, step in _OPERATOR_STEPS:
            if dsr.state == state:
                step(actions, officer=officer, dsr=dsr, successor=successor)
                dsr = _reloaded(dsr)
        if dsr.state != RequestState.FULFILLED:
            raise RightsRefusal(_("The erasure request could not be fulfilled."))
        with unscoped("rights: dsr erase, reading the ledger entry it wrote"):
            record = ErasureRecord.objects.filter(request_id=dsr.pk).latest("erased_at")
    total = sum(sum(per_label.values()) for per_label in record.counts.values())
    return (
        f"Erased: request {dsr.pk}, ledger entry {record.pk}, "
        f"{total} row(s) deleted, unlinked or anonymised."
    )


def _reloaded(dsr):
    with unscoped("rights: dsr erase, following the request's state"):
        return DataSubjectRequest.objects.get(pk=dsr.pk)


_OPERATOR_STEPS = [
    (
        RequestState.RECEIVED,
        lambda actions, *, officer, dsr, successor: actions.request_verify_identity(
            actor=officer, dsr=dsr, note="operator command"
        ),
    ),
    (
        RequestState.IDENTITY_VERIFIED,
        lambda actions, *, officer, dsr, successor: actions.request_start(actor=officer, dsr=dsr),
    ),
    (
        RequestState.IN_PROGRESS,
        lambda actions, *, officer, dsr, successor: actions.request_ask_approval(
            actor=officer, dsr=dsr, successor_manager=successor
        ),
    ),
    (
        RequestState.AWAITING_APPROVAL,
        lambda actions, *, officer, dsr, successor: actions.request_decide(
            officer=officer, dsr=dsr, approve=True
        ),
    ),
    (
        RequestState.APPROVED,
        lambda actions, *, officer, dsr, successor: actions.request_fulfil(actor=officer, dsr=dsr),
    ),
]
