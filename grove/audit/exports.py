"""An organization's access log as files: CSV for people, JSON for machines. Both stream.

The files hold ids and action names, the same in both formats (``EXPORT_FIELDS``, documented in
docs/access-log-export.md). The CSV may add the names of the organization's own users (actor
and subject), as the page shows them to a reader who may see the organization's users; staff
members and anyone else stay ids. Every CSV cell goes through ``grove.core.csv``.

Events are read in batches after the response has started, outside the request's transaction
and tenant scope: each batch enters the organization's scope itself, never across a ``yield``.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Iterator

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from grove.core.csv import csv_lines
from grove.tenancy.context import tenant_context

from . import queries
from .models import AuditEvent
from .queries import AccessLogFilters, Names

# (name, description shown on the access-log page, in the reader's language)
EXPORT_FIELDS: tuple[tuple[str, str | Promise], ...] = (
    ("event_id", gettext_lazy("The event's public id (UUID).")),
    ("occurred_at", gettext_lazy("When it happened: ISO 8601, UTC.")),
    ("action", gettext_lazy("What happened, e.g. data.view, auth.login, grant.used.")),
    (
        "actor_id",
        gettext_lazy("Who did it (a user id); empty for the platform or an unknown person."),
    ),
    ("actor_role", gettext_lazy("The actor's role at the time: member, manager, or a staff role.")),
    ("actor_is_staff", gettext_lazy("true when the actor was a member of Grove's staff.")),
    ("grant_id", gettext_lazy("The break-glass grant the staff member acted under, if any.")),
    ("object_type", gettext_lazy("The kind of objects read or changed, e.g. user, audit_event.")),
    ("object_ids", gettext_lazy("Their ids (CSV: separated by spaces).")),
    ("subject_user_id", gettext_lazy("The person the event is about, if any.")),
    ("request_id", gettext_lazy("The web request's id (its X-Request-ID header).")),
    (
        "ip_prefix",
        gettext_lazy("The network the request came from, truncated to /24 (IPv4) or /48 (IPv6)."),
    ),
    (
        "details",
        gettext_lazy("Further facts: ids, counts, names of fields, never values (CSV: as JSON)."),
    ),
)
CSV_NAME_FIELDS: tuple[tuple[str, str | Promise], ...] = (
    ("actor_name", gettext_lazy("The actor's name, for the organization's own users only.")),
    ("subject_name", gettext_lazy("The subject's name, for the organization's own users only.")),
)
FORMAT_VERSION = 1


def event_record(event: AuditEvent) -> dict:
    """One event as the export's fields (JSON types)."""
    return {
        "event_id": str(event.public_id),
        "occurred_at": event.occurred_at.astimezone(datetime.UTC).isoformat(),
        "action": event.action,
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "actor_role": event.actor_role,
        "actor_is_staff": event.actor_role in queries.STAFF_ROLES,
        "grant_id": str(event.grant_id) if event.grant_id else None,
        "object_type": event.object_type,
        "object_ids": [str(value) for value in event.object_ids],
        "subject_user_id": str(event.subject_user_id) if event.subject_user_id else None,
        "request_id": event.request_id,
        "ip_prefix": event.ip_prefix,
        "details": event.details,
    }


def csv_stream(
    *,
    organization_id: uuid.UUID,
    filters: AccessLogFilters,
    up_to_id: int | None,
    with_names: bool,
) -> Iterator[str]:
    header = [name for name, _ in EXPORT_FIELDS]
    if with_names:
        header += [name for name, _ in CSV_NAME_FIELDS]
    return csv_lines(_csv_rows(header, organization_id, filters, up_to_id, with_names))


def json_stream(
    *,
    organization_id: uuid.UUID,
    filters: AccessLogFilters,
    up_to_event: AuditEvent | None,
    exported_at: datetime.datetime,
) -> Iterator[str]:
    """One JSON object: what was exported, then ``events``, oldest first."""
    head = {
        "format_version": FORMAT_VERSION,
        "organization_id": str(organization_id),
        "exported_at": exported_at.astimezone(datetime.UTC).isoformat(),
        "filters": filters.as_details(),
        "up_to_event_id": str(up_to_event.public_id) if up_to_event else None,
        "fields": [name for name, _ in EXPORT_FIELDS],
    }
    yield json.dumps(head)[:-1] + ', "events": ['
    up_to_id = up_to_event.id if up_to_event else None
    first = True
    for batch, _ in _batches(organization_id, filters, up_to_id, with_names=False):
        for event in batch:
            yield ("\n" if first else ",\n") + json.dumps(event_record(event))
            first = False
    yield "\n]}\n"


def _csv_rows(header, organization_id, filters, up_to_id, with_names) -> Iterator[list]:
    yield header
    for batch, names in _batches(organization_id, filters, up_to_id, with_names=with_names):
        for event in batch:
            record = event_record(event)
            row = [
                record["event_id"],
                record["occurred_at"],
                record["action"],
                record["actor_id"],
                record["actor_role"],
                "true" if record["actor_is_staff"] else "false",
                record["grant_id"],
                record["object_type"],
                " ".join(record["object_ids"]),
                record["subject_user_id"],
                record["request_id"],
                record["ip_prefix"],
                json.dumps(record["details"], sort_keys=True) if record["details"] else "",
            ]
            if with_names:
                row += [_actor_name(event, names), _subject_name(event, names)]
            yield row


def _actor_name(event: AuditEvent, names: Names) -> str:
    return names.org_users.get(event.actor_id, "") if event.actor_id else ""


def _subject_name(event: AuditEvent, names: Names) -> str:
    return names.org_users.get(event.subject_user_id, "") if event.subject_user_id else ""


def _batches(
    organization_id: uuid.UUID, filters: AccessLogFilters, up_to_id: int | None, *, with_names: bool
) -> Iterator[tuple[list[AuditEvent], Names]]:
    if up_to_id is None:  # nothing matched when the export began
        return
    batches = queries.export_batches(filters, up_to_id=up_to_id, size=queries.EXPORT_BATCH_SIZE)
    while True:
        with tenant_context(organization_id):
            batch = next(batches, None)
            if batch is None:
                return
            names = (
                queries.display_names(batch, include_org_users=True, include_staff=False)
                if with_names
                else Names()
            )
        yield batch, names
