"""Read-only selectors of the registry for the public pages (/subprocessors, /privacy, the ROPA).

Only operator data leaves here: the registry's fields, the approved changes and the text of their
notices. Nothing tenant-owned (no delivery, acknowledgement or objection) is ever read, so the
answers are the same for everyone and need no tenant scope.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from .models import (
    ChangeKind,
    ChangeStatus,
    Subprocessor,
    SubprocessorChange,
    SubprocessorStatus,
    SubprocessorVersion,
)

# Changes that took effect within this many days are still shown as "recently effective".
RECENT_DAYS = 90


@dataclass(frozen=True)
class PublicChange:
    """An approved change as the public pages show it."""

    id: uuid.UUID
    kind: str
    kind_label: str
    status: str
    subprocessor_slug: str
    subprocessor_name: str
    # The notice's text (empty for a change without impact on personal data: no notice).
    summary: str
    implications: str
    announced_at: datetime.datetime | None
    effective_on: datetime.date | None
    # The proposed values (name, service, purpose, locations, ...): operator data.
    proposed: dict

    @property
    def anchor(self) -> str:
        return f"change-{self.id}"


def active_subprocessors() -> list[Subprocessor]:
    """Every subprocessor in use today, by name."""
    return list(Subprocessor.objects.filter(status=SubprocessorStatus.ACTIVE).order_by("name"))


def _public_change(change: SubprocessorChange) -> PublicChange:
    notice = getattr(change, "notice", None)
    subprocessor = change.subprocessor
    proposed = change.proposed if isinstance(change.proposed, dict) else {}
    return PublicChange(
        id=change.pk,
        kind=change.kind,
        kind_label=str(ChangeKind(change.kind).label),
        status=change.status,
        subprocessor_slug=subprocessor.slug if subprocessor else str(proposed.get("slug", "")),
        subprocessor_name=subprocessor.name if subprocessor else str(proposed.get("name", "")),
        summary=notice.summary if notice else "",
        implications=notice.implications if notice else "",
        announced_at=notice.announced_at if notice else change.decided_at,
        effective_on=notice.effective_on if notice else change.effective_on,
        proposed=proposed,
    )


def _changes():
    return SubprocessorChange.objects.select_related("subprocessor", "notice")


def announced_changes() -> list[PublicChange]:
    """Approved changes announced to clients by a notice and not applied yet, soonest first."""
    changes = _changes().filter(status=ChangeStatus.APPROVED, notice__isnull=False)
    return sorted(
        (_public_change(c) for c in changes),
        key=lambda c: (c.effective_on or datetime.date.max, c.subprocessor_name),
    )


def recently_effective_changes(
    *, today: datetime.date | None = None, days: int = RECENT_DAYS
) -> list[PublicChange]:
    """Changes applied within the last ``days`` days (with or without a notice), latest first."""
    today = today or timezone.localdate()
    since = today - datetime.timedelta(days=days)
    changes = _changes().filter(
        Q(effective_on__gte=since) | Q(effective_on__isnull=True, decided_at__date__gte=since),
        status=ChangeStatus.EFFECTIVE,
    )
    return sorted(
        (_public_change(c) for c in changes),
        key=lambda c: (c.effective_on or datetime.date.min, c.subprocessor_name),
        reverse=True,
    )


def published_versions(
    *, today: datetime.date | None = None, days: int = RECENT_DAYS
) -> list[SubprocessorVersion]:
    """The version history the feed publishes: every version of the active subprocessors, and
    the recent versions of the others (a retirement stays visible for ``days`` days); newest
    first."""
    today = today or timezone.localdate()
    since = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=days), datetime.time.min)
    )
    return list(
        SubprocessorVersion.objects.select_related("subprocessor", "change")
        .filter(
            Q(subprocessor__status=SubprocessorStatus.ACTIVE)
            | Q(subprocessor__status=SubprocessorStatus.RETIRED, recorded_at__gte=since)
        )
        .order_by("-recorded_at", "subprocessor__name", "-number")
    )


def last_modified() -> datetime.datetime | None:
    """When the public registry last changed (a version recorded, a change decided)."""
    latest = [
        SubprocessorVersion.objects.order_by("-recorded_at")
        .values_list("recorded_at", flat=True)
        .first(),
        SubprocessorChange.objects.exclude(decided_at=None)
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first(),
        Subprocessor.objects.order_by("-updated_at").values_list("updated_at", flat=True).first(),
    ]
    present = [moment for moment in latest if moment is not None]
    return max(present) if present else None
