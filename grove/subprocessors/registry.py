"""What a subprocessor's record holds, and the checks of proposed values (no database writes).

``EDITABLE_FIELDS`` are the fields a change may propose; a version snapshot holds those plus the
slug, the status and the effective dates. Proposed values are cleaned here once, for the form,
the action and the command alike.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext as _

from grove.privacy.datamap import Category

from .models import Subprocessor

EDITABLE_FIELDS = (
    "name",
    "service",
    "purpose",
    "data_categories",
    "data_subjects",
    "locations",
    "transfer_safeguards",
    "dpa_reference",
    "security_contact",
)
SNAPSHOT_FIELDS = ("slug", *EDITABLE_FIELDS, "status", "effective_from", "effective_until")
# Needed for an addition; the others may stay empty.
REQUIRED_FOR_ADDITION = (
    "name",
    "service",
    "purpose",
    "data_categories",
    "data_subjects",
    "locations",
)
MAX_LENGTHS = {
    "name": 120,
    "service": 200,
    "data_subjects": 200,
    "dpa_reference": 200,
    "security_contact": 200,
    "purpose": 4000,
    "transfer_safeguards": 4000,
}
# The data map's categories a subprocessor may process (system data is not a category of
# personal data anyone needs to be told about).
CATEGORY_CHOICES = [(c.value, c.label) for c in Category if c != Category.SYSTEM]
_CATEGORY_VALUES = frozenset(value for value, _label in CATEGORY_CHOICES)


def snapshot_of(subprocessor: Subprocessor) -> dict:
    """The record as a version stores it (dates as ISO strings)."""
    snapshot = {}
    for field in SNAPSHOT_FIELDS:
        value = getattr(subprocessor, field)
        if isinstance(value, datetime.date):
            value = value.isoformat()
        snapshot[field] = value
    return snapshot


def current_values(subprocessor: Subprocessor) -> dict:
    return {field: getattr(subprocessor, field) for field in EDITABLE_FIELDS}


def slug_for(name: str) -> str:
    return slugify(name)[:60]


def clean_proposed(values: dict) -> dict:
    """Proposed values, checked and normalised; ValidationError (by field) on bad input.

    Only the editable fields; text stripped and within its length; categories from the data
    map; locations a list of ``{"name": ..., "region": ...}`` with a name each.
    """
    unknown = sorted(set(values) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError(
            _("These fields cannot be proposed: %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    cleaned: dict = {}
    errors: dict[str, list[str]] = {}
    for field, value in values.items():
        try:
            cleaned[field] = _clean_field(field, value)
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


def missing_for_addition(values: dict) -> list[str]:
    return [field for field in REQUIRED_FOR_ADDITION if not values.get(field)]


def _clean_field(field: str, value):
    if field == "data_categories":
        if not isinstance(value, list | tuple):
            raise ValidationError(_("A list of data categories."))
        categories = sorted({str(v) for v in value})
        unknown = [c for c in categories if c not in _CATEGORY_VALUES]
        if unknown:
            raise ValidationError(
                _("Not a category of the data map: %(values)s.") % {"values": ", ".join(unknown)}
            )
        return categories
    if field == "locations":
        if not isinstance(value, list | tuple):
            raise ValidationError(_("A list of locations."))
        locations = []
        for item in value:
            if not isinstance(item, dict) or set(item) - {"name", "region"}:
                raise ValidationError(_("Each location has a name and, optionally, a region."))
            name = str(item.get("name") or "").strip()
            region = str(item.get("region") or "").strip()
            if not name:
                raise ValidationError(_("Each location needs a name (the country)."))
            if len(name) > 100 or len(region) > 100:
                raise ValidationError(_("A location's name and region are 100 characters at most."))
            locations.append({"name": name, "region": region})
        return locations
    if not isinstance(value, str):
        raise ValidationError(_("Text expected."))
    value = value.strip()
    if len(value) > MAX_LENGTHS[field]:
        raise ValidationError(
            _("At most %(count)s characters.") % {"count": MAX_LENGTHS[field]},
        )
    return value


def parse_locations(text: str) -> list[dict]:
    """Locations typed one per line, ``Country: region`` (the region optional)."""
    locations = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        name, _sep, region = line.partition(":")
        locations.append({"name": name.strip(), "region": region.strip()})
    return locations


def format_locations(locations: list[dict]) -> str:
    return "\n".join(
        f"{item['name']}: {item['region']}" if item.get("region") else item["name"]
        for item in locations or []
    )
