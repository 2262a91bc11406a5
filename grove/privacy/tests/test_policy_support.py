"""Registry rows for the public pages' tests (no test here: helpers shared by test_policy*,
test_public_pages* and test_ropa*).

The rows are written directly: these tests are about what the public pages read, and the
registry's workflow (grove/subprocessors/actions.py) has its own tests.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from grove.privacy.datamap import Category
from grove.subprocessors.models import (
    ChangeKind,
    ChangeNotice,
    ChangeStatus,
    Subprocessor,
    SubprocessorChange,
    SubprocessorStatus,
    SubprocessorVersion,
)

SNAPSHOT_FIELDS = (
    "slug",
    "name",
    "service",
    "purpose",
    "data_categories",
    "data_subjects",
    "locations",
    "transfer_safeguards",
    "dpa_reference",
    "security_contact",
    "status",
    "effective_from",
    "effective_until",
)


def clear_registry() -> None:
    """Remove the seeded subprocessors, so that a test states the whole registry itself."""
    SubprocessorVersion.objects.all().delete()
    ChangeNotice.objects.all().delete()
    SubprocessorChange.objects.all().delete()
    Subprocessor.objects.all().delete()


def snapshot(subprocessor: Subprocessor) -> dict:
    values = {name: getattr(subprocessor, name) for name in SNAPSHOT_FIELDS}
    for name in ("effective_from", "effective_until"):
        if values[name] is not None:
            values[name] = values[name].isoformat()
    return values


def make_subprocessor(
    slug: str,
    name: str,
    *,
    status: str = SubprocessorStatus.ACTIVE,
    categories: tuple[str, ...] = (Category.BUSINESS_EMAIL,),
    locations: tuple[dict, ...] = ({"name": "France", "region": "Paris"},),
    safeguards: str = "Processed in the EU only.",
    recorded_at: datetime.datetime | None = None,
    **fields,
) -> Subprocessor:
    """A subprocessor with its version 1 (as the seed and the workflow leave them)."""
    subprocessor = Subprocessor.objects.create(
        slug=slug,
        name=name,
        service=fields.pop("service", f"{name} service"),
        purpose=fields.pop("purpose", f"What {name} does for us."),
        data_categories=[str(c) for c in categories],
        data_subjects=fields.pop("data_subjects", "Client users"),
        locations=list(locations),
        transfer_safeguards=safeguards,
        dpa_reference=fields.pop("dpa_reference", f"{name} DPA v1"),
        security_contact=fields.pop("security_contact", f"security@{slug}.example"),
        status=status,
        effective_from=fields.pop("effective_from", datetime.date(2026, 1, 1)),
        **fields,
    )
    SubprocessorVersion.objects.create(
        subprocessor=subprocessor,
        number=1,
        snapshot=snapshot(subprocessor),
        recorded_at=recorded_at or timezone.now(),
    )
    return subprocessor


def retire(subprocessor: Subprocessor, *, by, decided_by, when=None) -> SubprocessorChange:
    """What applying an approved removal leaves: the change in effect, a new version."""
    when = when or timezone.now()
    change = SubprocessorChange.objects.create(
        kind=ChangeKind.REMOVE,
        subprocessor=subprocessor,
        impact="No more data goes there.",
        has_personal_data_impact=True,
        proposed_by=by,
        status=ChangeStatus.EFFECTIVE,
        decided_by=decided_by,
        decided_at=when,
        effective_on=when.date(),
    )
    subprocessor.status = SubprocessorStatus.RETIRED
    subprocessor.effective_until = when.date()
    subprocessor.version += 1
    subprocessor.save(update_fields=["status", "effective_until", "version"])
    SubprocessorVersion.objects.create(
        subprocessor=subprocessor,
        number=subprocessor.version,
        snapshot=snapshot(subprocessor),
        change=change,
        recorded_at=when,
    )
    return change


def announce_addition(
    slug: str,
    name: str,
    *,
    by,
    decided_by,
    effective_on: datetime.date,
    announced_at: datetime.datetime | None = None,
    summary: str = "",
    implications: str = "",
) -> SubprocessorChange:
    """An approved addition with its notice, not in effect yet."""
    announced_at = announced_at or timezone.now()
    change = SubprocessorChange.objects.create(
        kind=ChangeKind.ADD,
        proposed={"slug": slug, "name": name, "service": f"{name} service"},
        impact="Business emails go to a new mail provider.",
        has_personal_data_impact=True,
        proposed_by=by,
        status=ChangeStatus.APPROVED,
        decided_by=decided_by,
        decided_at=announced_at,
        effective_on=effective_on,
    )
    ChangeNotice.objects.create(
        change=change,
        summary=summary or f"{name} will send our transactional mail.",
        implications=implications or "Business emails and names are processed by it.",
        announced_at=announced_at,
        effective_on=effective_on,
    )
    return change
