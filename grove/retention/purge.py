"""The purges: an organization's data, its logs, one departed member (see plan.py for the steps).

Batches of ``GROVE_RETENTION_BATCH_SIZE`` rows, each in its own transaction: a batch selects
primary keys, deletes the files of those rows from storage, then deletes (or updates) the rows by
primary key, and saves the purge's progress (step, cursor, per-model counts and digest
accumulators) in the certificate row in the same transaction. A crash or a kill between two
batches loses nothing: the next run resumes the RUNNING certificate at the saved step. A crash
inside a batch leaves rows whose files are gone; the rerun deletes those rows (never files
without rows the other way round). No statement touches more than a batch of rows, so no lock is
held for long. Between batches the purge rests, so that the live tenants keep the CPU and the
disk: at least ``GROVE_RETENTION_BATCH_PAUSE`` seconds, and long enough that it works no more than
``GROVE_RETENTION_DUTY_CYCLE`` of the time (0.5: each batch is followed by a rest as long as it
took). On a 2-core machine an unthrottled purge took one core and doubled the other tenants' p99
(docs/benchmarks.md). The access-log chain goes through ``grove.audit.chain.purge_chain`` (the
only way to delete access-log events), in larger batches (each one records a PURGED event).

At the end the touched tables are vacuumed (PostgreSQL; outside a transaction only), the
certificate completed and signed, the organization's status moved on, and PURGE_COMPLETED
recorded in the operator chain (ids and counts only).
"""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from grove.audit.events import record_event
from grove.audit.models import AuditAction, AuditChainHead
from grove.rights import erasure
from grove.rights.models import ErasureRecord
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

from . import certificates
from .models import CertificateStatus, DeletionCertificate, PurgeKind
from .plan import Step, label, rows_of, sessions_of_organization, steps_for

logger = logging.getLogger(__name__)

SCOPE_REASON = "retention purge"
# The access-log chain is purged in batches this many times larger (one PURGED event each):
# events are cheap to delete, but a 100,000-event transaction (50x) held the disk for seconds,
# and each batch's write-ahead log is what the live tenants' commits queue behind: 10,000 events.
CHAIN_BATCH_FACTOR = 5
PURGED_EMAIL_DOMAIN = "invalid"


def _after_batch(certificate: DeletionCertificate, step: Step) -> None:
    """Called after each committed batch. Tests replace it to simulate a crash."""


# --- Progress ----------------------------------------------------------------------------------


def _entry(progress: dict, step: Step, model=None) -> dict:
    model = model or step.model
    key = f"{label(model)}|{step.action}"
    entries = progress.setdefault("entries", {})
    if key not in entries:
        entries[key] = {
            "model": label(model),
            "table": model._meta.db_table,
            "category": step.categories,
            "action": step.action,
            "rows": 0,
            "acc": "",
        }
    return entries[key]


def _record(certificate: DeletionCertificate, step: Step, pks: list, files: int = 0) -> None:
    """Add a batch's rows to the certificate's progress (saved by the caller)."""
    _record_hashed(
        certificate,
        step,
        len(pks),
        certificates.accumulate(0, label(step.model), pks),
        files,
    )


def _record_hashed(
    certificate: DeletionCertificate, step: Step, rows: int, hashed: int, files: int = 0
) -> None:
    """Add ``rows`` rows whose id hashes sum to ``hashed`` (mod 2**256) to the progress."""
    progress = certificate.progress
    tables = set(progress.get("tables", []))
    tables.add(step.rows_model._meta.db_table)
    progress["tables"] = sorted(tables)
    if step.action is None:
        return
    entry = _entry(progress, step)
    entry["rows"] += rows
    entry["acc"] = certificates.as_hex(certificates.from_hex(entry["acc"]) + hashed)
    certificate.total_rows += rows
    certificate.files_deleted += files


def _save_progress(certificate: DeletionCertificate) -> None:
    certificate.save(update_fields=["progress", "total_rows", "files_deleted"])


def _locked(certificate: DeletionCertificate) -> DeletionCertificate:
    return DeletionCertificate._base_manager.select_for_update().get(pk=certificate.pk)


def _pause(worked: float = 0.0) -> None:
    """Rest after a batch that took ``worked`` seconds: the fixed pause, or as long as keeps the
    purge's share of the time at the duty cycle, whichever is longer."""
    time.sleep(rest_after(worked))


def rest_after(worked: float) -> float:
    duty = float(settings.GROVE_RETENTION_DUTY_CYCLE)
    if not 0 < duty <= 1:
        raise ValueError("GROVE_RETENTION_DUTY_CYCLE must be in (0, 1]")
    return max(float(settings.GROVE_RETENTION_BATCH_PAUSE), worked * (1 / duty - 1))


def _batch_size() -> int:
    return max(1, int(settings.GROVE_RETENTION_BATCH_SIZE))


# --- Files -------------------------------------------------------------------------------------


def _file_fields(model, only=None) -> list[models.FileField]:
    return [
        f
        for f in model._meta.local_concrete_fields
        if isinstance(f, models.FileField) and (only is None or f.name in only)
    ]


def _delete_files(model, pks: list, only=None) -> int:
    deleted = 0
    if model is ErasureRecord and only is None:
        # The ledger's copies in storage are files no FileField names.
        for name in erasure.ledger_copy_names(pks):
            if default_storage.exists(name):
                default_storage.delete(name)
                deleted += 1
    fields = _file_fields(model, only)
    if not fields:
        return deleted
    rows = model._base_manager.filter(pk__in=pks).values_list(*[f.attname for f in fields])
    for names in rows:
        for f, name in zip(fields, names, strict=True):
            if name:
                # A missing file (a rerun after a crash inside a batch) is no error.
                f.storage.delete(str(name))
                deleted += 1
    return deleted


# --- The steps ---------------------------------------------------------------------------------


def _run_batches(certificate, step: Step, organization, one_batch) -> DeletionCertificate:
    """Run ``one_batch(certificate, progress)`` in its own transaction until it returns False."""
    while True:
        started = time.monotonic()
        with transaction.atomic(), unscoped(SCOPE_REASON):
            certificate = _locked(certificate)
            more = one_batch(certificate)
            _save_progress(certificate)
        _after_batch(certificate, step)
        if not more:
            return certificate
        _pause(time.monotonic() - started)


def _next_pks(rows: models.QuerySet, certificate: DeletionCertificate, size: int) -> list:
    """The next batch of primary keys, in key order after the saved cursor.

    A plain ``LIMIT`` would scan again, batch after batch, the dead versions of the rows the
    earlier batches deleted (quadratic on a big table); from the cursor, an index range scan
    starts past them. When the range is exhausted, one more pass from the start catches rows
    written meanwhile behind the cursor.
    """
    progress = certificate.progress
    ordered = rows.order_by("pk")
    while True:
        cursor = progress.get("cursor")
        batch = ordered.filter(pk__gt=cursor) if cursor is not None else ordered
        pks = list(batch.values_list("pk", flat=True)[:size])
        if pks:
            progress["cursor"] = str(pks[-1])
            return pks
        if cursor is None or progress.get("rescanned"):
            return []
        progress["cursor"] = None
        progress["rescanned"] = True


def _delete_step(certificate, step: Step, organization) -> DeletionCertificate:
    model = step.rows_model
    rows = rows_of(step, organization)
    size = _batch_size()

    def one_batch(certificate) -> bool:
        pks = _next_pks(rows, certificate, size)
        if not pks:
            return False
        files = _delete_files(model, pks)
        batch = model._base_manager.filter(pk__in=pks)
        batch._raw_delete(batch.db)
        _record(certificate, step, pks, files)
        return True

    return _run_batches(certificate, step, organization, one_batch)


def _unlink_step(certificate, step: Step, organization) -> DeletionCertificate:
    model, name = step.rows_model, step.fields[0]
    rows = rows_of(step, organization)
    size = _batch_size()

    def one_batch(certificate) -> bool:
        pks = _next_pks(rows, certificate, size)
        if not pks:
            return False
        model._base_manager.filter(pk__in=pks).update(**{name: None})
        _record(certificate, step, pks)
        return True

    return _run_batches(certificate, step, organization, one_batch)


def _blank_values(step: Step) -> dict:
    model = step.rows_model
    # The step's fields are the model's own columns, never reverse relations.
    values = {
        name: erasure._blank_value(cast(models.Field, model._meta.get_field(name)))
        for name in step.fields
    }
    if step.kind == "anonymise" and model is get_user_model():
        # A unique placeholder per row (the email is unique), an unusable password, closed.
        values[model.EMAIL_FIELD] = Concat(
            models.Value("purged-"),
            Cast("pk", models.CharField(max_length=64)),
            models.Value(f"@{PURGED_EMAIL_DOMAIN}"),
            output_field=models.CharField(),
        )
        if "password" in values:
            values["password"] = "!"  # noqa: S105 -- the unusable-password marker
        values["is_active"] = False
        values["erased_at"] = Coalesce(
            "erased_at", models.Value(timezone.now(), output_field=models.DateTimeField())
        )
    return values


def _update_step(certificate, step: Step, organization) -> DeletionCertificate:
    """clear / anonymise: every row of the organization, in primary-key order (the cursor)."""
    model = step.rows_model
    values = _blank_values(step)
    file_fields = [f.name for f in _file_fields(model, step.fields)]
    size = _batch_size()

    def one_batch(certificate) -> bool:
        rows = rows_of(step, organization).order_by("pk")
        cursor = certificate.progress.get("cursor")
        if cursor is not None:
            rows = rows.filter(pk__gt=cursor)
        pks = list(rows.values_list("pk", flat=True)[:size])
        if not pks:
            return False
        files = _delete_files(model, pks, only=file_fields) if file_fields else 0
        model._base_manager.filter(pk__in=pks).update(**values)
        _record(certificate, step, pks, files)
        certificate.progress["cursor"] = str(pks[-1])
        return len(pks) == size

    return _run_batches(certificate, step, organization, one_batch)


def _linked_step(certificate, step: Step, organization) -> DeletionCertificate:
    return _delete_step(certificate, step, organization)


def _sessions_step(certificate, step: Step, organization) -> DeletionCertificate:
    with unscoped(SCOPE_REASON):
        keys = sessions_of_organization(organization)
    size = _batch_size()
    for start in range(0, len(keys), size):
        chunk = keys[start : start + size]
        started = time.monotonic()
        with transaction.atomic(), unscoped(SCOPE_REASON):
            certificate = _locked(certificate)
            batch = Session.objects.filter(session_key__in=chunk)
            present = list(batch.values_list("session_key", flat=True))
            batch._raw_delete(batch.db)
            _record(certificate, step, present)
            _save_progress(certificate)
        _after_batch(certificate, step)
        _pause(time.monotonic() - started)
    return certificate


# The certificate's digest of a batch of events, summed by PostgreSQL: each id's SHA-256 cut into
# eight 32-bit words, each word summed over the batch (exact in numeric), recombined in Python.
# The same sum as certificates.accumulate, without listing and hashing 10,000 ids per batch in
# the purge's process (the log purge's largest CPU cost there).
_CHAIN_DIGEST_SQL = """
SELECT count(*), {sums}
  FROM (SELECT ('x' || encode(sha256(convert_to(%s || id::text, 'UTF8')), 'hex'))::bit(256) AS h
          FROM {table}
         WHERE chain_key = %s AND sequence > %s AND sequence <= %s) AS batch
"""
_WORDS = 8


def _chain_digest(event_model, chain_key, *, after: int, through: int) -> tuple[int, int]:
    """How many events of the chain lie in (after, through], and their ids' hash sum."""
    events = event_model._base_manager.filter(
        chain_key=chain_key, sequence__gt=after, sequence__lte=through
    )
    if connection.vendor != "postgresql":
        pks = list(events.values_list("pk", flat=True))
        return len(pks), certificates.accumulate(0, label(event_model), pks)
    sums = ", ".join(
        f"coalesce(sum(substring(h from {1 + 32 * word} for 32)::bigint), 0)"
        for word in range(_WORDS)
    )
    sql = _CHAIN_DIGEST_SQL.format(sums=sums, table=event_model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [f"{label(event_model)}:", chain_key, after, through])
        rows, *word_sums = cursor.fetchone()
    hashed = sum(int(total) << (32 * (_WORDS - 1 - word)) for word, total in enumerate(word_sums))
    return rows, hashed % certificates.MODULUS


def _chain_step(certificate, step: Step, organization) -> DeletionCertificate:
    event_model = step.model
    chain_size = _batch_size() * CHAIN_BATCH_FACTOR
    while True:
        started = time.monotonic()
        with transaction.atomic(), unscoped(SCOPE_REASON):
            certificate = _locked(certificate)
            head = AuditChainHead.objects.filter(chain_key=organization.pk).first()
            if head is None or head.last_sequence <= head.base_sequence:
                return certificate
            through = min(head.base_sequence + chain_size, head.last_sequence)
            rows, hashed = _chain_digest(
                event_model, organization.pk, after=head.base_sequence, through=through
            )
            from grove.audit.chain import purge_chain

            purge_chain(
                chain_key=organization.pk,
                through_sequence=through,
                reason=certificate.rule or "contract_end+log_days",
            )
            _record_hashed(certificate, step, rows, hashed)
            _save_progress(certificate)
        _after_batch(certificate, step)
        _pause(time.monotonic() - started)


def _notify_step(certificate, step: Step, organization) -> DeletionCertificate:
    if certificate.managers_notified_at is not None:
        return certificate
    try:
        from grove.retention.notices import send_certificate_to_managers
    except ImportError:
        logger.warning("retention: no notices module, certificate %s not mailed", certificate.pk)
        return certificate
    with unscoped(SCOPE_REASON):
        # The certificate's organization and its managers are read across tenants.
        send_certificate_to_managers(certificate)
    with transaction.atomic(), unscoped(SCOPE_REASON):
        certificate = _locked(certificate)
        certificate.managers_notified_at = timezone.now()
        certificate.save(update_fields=["managers_notified_at"])
    return certificate


RUNNERS = {
    "delete": _delete_step,
    "unlink": _unlink_step,
    "clear": _update_step,
    "anonymise": _update_step,
    "linked": _linked_step,
    "sessions": _sessions_step,
    "chain": _chain_step,
    "notify": _notify_step,
}


# --- The organization purges -------------------------------------------------------------------


def _started(*, organization, kind, rule, due_on, run_by, now) -> DeletionCertificate:
    """The RUNNING certificate of this organization and kind, or a new one (PURGE_STARTED)."""
    with transaction.atomic(), unscoped(SCOPE_REASON):
        running = (
            DeletionCertificate._base_manager.select_for_update()
            .filter(organization_id=organization.pk, kind=kind, status=CertificateStatus.RUNNING)
            .first()
        )
        if running is not None:
            return running
        certificate = DeletionCertificate._base_manager.create(
            organization_id=organization.pk,
            kind=kind,
            rule=rule,
            due_on=due_on,
            run_by=run_by,
            started_at=now,
            progress={"next_step": 0, "entries": {}, "tables": []},
        )
        record_event(
            action=AuditAction.PURGE_STARTED,
            organization=None,
            object_type="deletion_certificate",
            object_ids=[certificate.pk],
            details={"organization": str(organization.pk), "kind": kind, "rule": rule},
        )
        return certificate


def _vacuum(certificate: DeletionCertificate) -> dict:
    tables = certificate.progress.get("tables", [])
    if connection.vendor == "sqlite":
        return {"vacuumed": [], "skipped": [], "secure_delete": True}
    vacuumed, skipped = erasure.vacuum_tables(tables)
    return {"vacuumed": vacuumed, "skipped": skipped}


def _completed(certificate, organization, *, now) -> DeletionCertificate:
    vacuum = _vacuum(certificate)
    with transaction.atomic(), unscoped(SCOPE_REASON):
        certificate = _locked(certificate)
        certificate.vacuum = vacuum
        certificate.status = CertificateStatus.COMPLETED
        # ``now`` may be a simulated day ahead (enforce_retention --now): never before it.
        certificate.completed_at = max(now, timezone.now()) if now else timezone.now()
        certificate.progress.pop("cursor", None)
        entries = certificates.entries_of(certificate)
        certificate.ids_digest = certificates.certificate_digest(entries)
        certificate.signature = certificates.sign(certificate)
        certificate.save()
        if certificate.kind == PurgeKind.ORGANIZATION_DATA:
            Organization._base_manager.filter(pk=organization.pk).update(
                status=Organization.Status.PURGED, data_purged_at=certificate.completed_at
            )
        elif certificate.kind == PurgeKind.ORGANIZATION_LOGS:
            Organization._base_manager.filter(pk=organization.pk).update(
                status=Organization.Status.TOMBSTONE, logs_purged_at=certificate.completed_at
            )
        record_event(
            action=AuditAction.PURGE_COMPLETED,
            organization=None,
            object_type="deletion_certificate",
            object_ids=[certificate.pk],
            details={
                "organization": str(organization.pk),
                "kind": certificate.kind,
                "rows": certificate.total_rows,
                "files": certificate.files_deleted,
                "counts": {e["model"] + " " + e["action"]: e["rows"] for e in entries},
            },
        )
    return certificate


def run_organization_purge(
    *, organization, kind: str, rule: str, due_on, run_by: str, now=None
) -> DeletionCertificate:
    """Purge ``organization``'s data (``PurgeKind.ORGANIZATION_DATA``) or logs
    (``ORGANIZATION_LOGS``), resuming its RUNNING certificate if a previous run stopped; returns
    the completed, signed certificate. Holds and due dates are the caller's (enforce.py)."""
    now = now or timezone.now()
    certificate = _started(
        organization=organization, kind=kind, rule=rule, due_on=due_on, run_by=run_by, now=now
    )
    if certificate.status == CertificateStatus.COMPLETED:
        return certificate
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
    steps = steps_for(kind)
    while (index := certificate.progress.get("next_step", 0)) < len(steps):
        step = steps[index]
        started = time.monotonic()
        rows_before = certificate.total_rows
        certificate = RUNNERS[step.kind](certificate, step, organization)
        logger.info(
            "retention purge %s: step %d %s, %d rows in %.1f s",
            certificate.pk,
            index,
            step.key,
            certificate.total_rows - rows_before,
            time.monotonic() - started,
        )
        with transaction.atomic(), unscoped(SCOPE_REASON):
            certificate = _locked(certificate)
            certificate.progress["next_step"] = index + 1
            certificate.progress.pop("cursor", None)
            certificate.progress.pop("rescanned", None)
            certificate.save(update_fields=["progress"])
    return _completed(certificate, organization, now=now)


# --- One departed member -----------------------------------------------------------------------


def purge_departed_user(*, user, rule: str, due_on, run_by: str) -> DeletionCertificate:
    """Purge one offboarded member's personal data with the erasure machinery (one transaction;
    no request, no mail) and write a USER certificate: the rows deleted, unlinked and
    anonymised per model, counts and digests."""
    user_model = get_user_model()
    with transaction.atomic(), unscoped(SCOPE_REASON):
        subject = user_model._base_manager.select_for_update(of=("self",)).get(pk=user.pk)
        if subject.organization_id is None:
            raise ValueError("only a client organization's member is purged this way")
        certificate = DeletionCertificate._base_manager.create(
            organization_id=subject.organization_id,
            kind=PurgeKind.USER,
            rule=rule,
            due_on=due_on,
            run_by=run_by,
            progress={"entries": {}, "tables": []},
        )
        record_event(
            action=AuditAction.PURGE_STARTED,
            organization=None,
            object_type="deletion_certificate",
            object_ids=[certificate.pk],
            details={"organization": str(subject.organization_id), "kind": PurgeKind.USER},
        )
        # The ledger entry, as for an erasure: a restore of an older backup brings the member
        # back, and the replay of the ledger erases them again.
        email_hash = erasure.ledger_hash(subject.email)
        rows, files, tables = erasure.erase_for_retention(subject)
        counts: dict[str, dict[str, int]] = {}
        for (model, treatment), pks in rows.items():
            counts.setdefault(str(treatment), {})[label(model)] = len(pks)
        erasure.record_erasure(subject, email_hash=email_hash, counts=counts)
        progress = certificate.progress
        for (model, treatment), pks in sorted(rows.items(), key=lambda item: label(item[0][0])):
            # Deleted, anonymised (kept, personal fields blanked), or unlinked (fields cleared).
            kind = {"deleted": "delete", "anonymised": "anonymise"}.get(treatment, "clear")
            step = Step(kind, model)
            entry = _entry(progress, step)
            entry["rows"] += len(pks)
            entry["acc"] = certificates.as_hex(
                certificates.accumulate(certificates.from_hex(entry["acc"]), label(model), pks)
            )
            certificate.total_rows += len(pks)
        progress["tables"] = sorted(tables)
        certificate.files_deleted = len(files)
        certificate.save()
        transaction.on_commit(partial(_delete_files_after_commit, files))
    vacuum = _vacuum(certificate)
    with transaction.atomic(), unscoped(SCOPE_REASON):
        certificate = _locked(certificate)
        certificate.vacuum = vacuum
        certificate.status = CertificateStatus.COMPLETED
        certificate.completed_at = timezone.now()
        entries = certificates.entries_of(certificate)
        certificate.ids_digest = certificates.certificate_digest(entries)
        certificate.signature = certificates.sign(certificate)
        certificate.save()
        record_event(
            action=AuditAction.PURGE_COMPLETED,
            organization=None,
            object_type="deletion_certificate",
            object_ids=[certificate.pk],
            details={
                "organization": str(certificate.organization_id),
                "kind": PurgeKind.USER,
                "rows": certificate.total_rows,
                "files": certificate.files_deleted,
            },
        )
    return certificate


def _delete_files_after_commit(files) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except Exception as error:  # noqa: BLE001 -- keep deleting the others
            logger.error("retention: a file could not be deleted (%s)", type(error).__name__)
