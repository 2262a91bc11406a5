"""Reads of an organization's access log, for whoever ``authorize`` let read it.

Every function here runs inside ``access_scope(access)`` (the organization's tenant scope): the
events, the organization's users and its grants are read through their scoped managers, and on
PostgreSQL row-level security checks the same organization. Only the names of staff members are
looked up across tenants, and only among staff accounts.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext

from grove.accounts.models import StaffRole, User
from grove.staff.models import AccessGrant
from grove.tenancy.context import current_organization_id, unscoped

from .models import AuditAction, AuditEvent

PAGE_SIZE = 50
EXPORT_BATCH_SIZE = 1000
STAFF_ACTOR = "staff"  # the actor filter's value for "any member of Grove's staff"
STAFF_ROLES = frozenset(StaffRole.values)


@dataclass(frozen=True)
class AccessLogFilters:
    """What the reader narrowed the log to. Dates are whole days (UTC), both included."""

    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    actor: str = ""  # "", STAFF_ACTOR, or a user id
    action: str = ""

    def as_details(self) -> dict[str, str]:
        """The filters for the access log's own event: dates, an id or "staff", an action."""
        values = {
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "actor": self.actor,
            "action": self.action,
        }
        return {name: value for name, value in values.items() if value}


@dataclass(frozen=True)
class EventPage:
    events: list[AuditEvent]
    # The public id to pass as ``before`` for the next (older) page, or None on the last page.
    next_before: uuid.UUID | None


@dataclass
class Names:
    """Display names for the ids on a page: the organization's own users and staff members."""

    org_users: dict[uuid.UUID, str] = field(default_factory=dict)
    staff: dict[uuid.UUID, str] = field(default_factory=dict)


def organization_events(filters: AccessLogFilters) -> QuerySet[AuditEvent]:
    """The current organization's events matching ``filters``, in no particular order."""
    organization_id = _require_organization()
    events = AuditEvent.objects.filter(organization_id=organization_id)
    if filters.date_from:
        events = events.filter(occurred_at__gte=_start_of(filters.date_from))
    if filters.date_to:
        events = events.filter(
            occurred_at__lt=_start_of(filters.date_to + datetime.timedelta(days=1))
        )
    if filters.actor == STAFF_ACTOR:
        events = events.filter(actor_role__in=STAFF_ROLES)
    elif filters.actor:
        events = events.filter(actor_id=filters.actor)
    if filters.action:
        events = events.filter(action=filters.action)
    return events


def events_page(
    filters: AccessLogFilters, *, before: str | None = None, size: int = PAGE_SIZE
) -> EventPage:
    """One page of events, newest first, older than the event ``before`` names (a cursor:
    the page stays stable while new events arrive). An unknown cursor starts from the newest."""
    events = organization_events(filters).order_by("-occurred_at", "-id")
    anchor = _event_by_public_id(before)
    if anchor is not None:
        events = events.filter(
            Q(occurred_at__lt=anchor.occurred_at)
            | Q(occurred_at=anchor.occurred_at, id__lt=anchor.id)
        )
    rows = list(events[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    return EventPage(events=rows, next_before=rows[-1].public_id if has_more else None)


def newest_event(filters: AccessLogFilters) -> AuditEvent | None:
    """The newest event an export starting now would hold (its upper bound)."""
    return organization_events(filters).order_by("-id").first()


def export_batches(
    filters: AccessLogFilters, *, up_to_id: int, size: int = EXPORT_BATCH_SIZE
) -> Iterator[list[AuditEvent]]:
    """The events of an export, oldest first, in batches of ``size`` (one query each).

    Events appended after the export began (id above ``up_to_id``) are left out, the export's
    own EXPORT event included. Each batch is read in the caller's scope; a caller that streams
    should enter the scope per batch rather than across a ``yield``.
    """
    events = organization_events(filters).filter(id__lte=up_to_id).order_by("occurred_at", "id")
    last: AuditEvent | None = None
    while True:
        batch_query = events
        if last is not None:
            batch_query = events.filter(
                Q(occurred_at__gt=last.occurred_at)
                | Q(occurred_at=last.occurred_at, id__gt=last.id)
            )
        batch = list(batch_query[:size])
        if not batch:
            return
        yield batch
        if len(batch) < size:
            return
        last = batch[-1]


def display_names(
    events: Iterable[AuditEvent], *, include_org_users: bool, include_staff: bool = True
) -> Names:
    """Names for the actors and subjects of ``events``.

    The organization's own users come through the tenant scope, and only when the reader may
    see the organization's users (``include_org_users``); staff names through an unscoped
    lookup restricted to staff accounts. Any other id stays an id.
    """
    events = list(events)
    ids = {e.actor_id for e in events if e.actor_id} | {
        e.subject_user_id for e in events if e.subject_user_id
    }
    names = Names()
    if not ids:
        return names
    if include_org_users:
        names.org_users = {
            pk: _shown_name(first, last, erased_at)
            for pk, first, last, erased_at in User.objects.filter(pk__in=ids).values_list(
                "pk", "first_name", "last_name", "erased_at"
            )
        }
    staff_ids = {e.actor_id for e in events if e.actor_id and e.actor_role in STAFF_ROLES} - set(
        names.org_users
    )
    if include_staff and staff_ids:
        with unscoped("access log: names of the staff members who appear in a client's log"):
            names.staff = {
                pk: _shown_name(first, last, erased_at)
                for pk, first, last, erased_at in User.objects.filter(
                    pk__in=staff_ids, organization__isnull=True
                )
                .exclude(staff_role="")
                .values_list("pk", "first_name", "last_name", "erased_at")
            }
    return names


def _shown_name(first: str, last: str, erased_at) -> str:
    """``User.display_name`` from a values row: "Former member" once the person is erased."""
    if erased_at is not None:
        return gettext("Former member")
    return f"{first} {last}".strip()


def grants_by_id(events: Iterable[AuditEvent]) -> dict[uuid.UUID, AccessGrant]:
    """The organization's break-glass grants the events were made under."""
    ids = {e.grant_id for e in events if e.grant_id}
    if not ids:
        return {}
    return {grant.pk: grant for grant in AccessGrant.objects.filter(pk__in=ids)}


def actor_choices(*, include_org_users: bool) -> list[tuple[str, str]]:
    """The actor filter's options: everyone, staff, then each of the organization's users."""
    choices = [("", gettext("Everyone")), (STAFF_ACTOR, gettext("Grove staff"))]
    if include_org_users:
        choices += [
            (str(pk), _shown_name(first, last, erased_at))
            for pk, first, last, erased_at in User.objects.order_by(
                "last_name", "first_name"
            ).values_list("pk", "first_name", "last_name", "erased_at")
        ]
    return choices


def action_choices() -> list[tuple[str, str | Promise]]:
    return [("", gettext("Any action")), *AuditAction.choices]


def _event_by_public_id(value: str | None) -> AuditEvent | None:
    if not value:
        return None
    try:
        public_id = uuid.UUID(str(value))
    except ValueError:
        return None
    return (
        AuditEvent.objects.filter(organization_id=_require_organization(), public_id=public_id)
        .only("id", "occurred_at")
        .first()
    )


def _start_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def _require_organization() -> uuid.UUID:
    organization_id = current_organization_id()
    if organization_id is None:
        raise RuntimeError("access-log queries run inside access_scope(access)")
    return organization_id
