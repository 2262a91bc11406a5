"""Showing a registry value in a page or a mail: categories by their data map label,
locations as "Country (region)"."""

from django import template
from django.utils.translation import gettext_lazy as _

from grove.privacy.datamap import Category
from grove.subprocessors.models import SubprocessorStatus

register = template.Library()

_LABELS = dict(Category.choices)
FIELD_LABELS = {
    "name": _("Name"),
    "service": _("Service"),
    "purpose": _("Purpose"),
    "data_categories": _("Data categories"),
    "data_subjects": _("Data subjects"),
    "locations": _("Locations"),
    "transfer_safeguards": _("Transfer safeguards"),
    "dpa_reference": _("DPA reference"),
    "security_contact": _("Security contact"),
    "status": _("Status"),
    "effective_from": _("In use from"),
    "effective_until": _("In use until"),
    "slug": _("Identifier"),
}


@register.filter
def category_labels(values) -> str:
    return ", ".join(_LABELS.get(value, value) for value in values or [])


@register.filter
def location_list(locations) -> str:
    return "; ".join(
        f"{item.get('name', '')} ({item['region']})" if item.get("region") else item.get("name", "")
        for item in locations or []
    )


@register.filter
def registry_value(value, field: str) -> str:
    if field == "data_categories":
        return category_labels(value)
    if field == "locations":
        return location_list(value)
    if field == "status" and value in SubprocessorStatus.values:
        return str(SubprocessorStatus(value).label)
    if value in (None, ""):
        return "—"
    return str(value)


@register.filter
def field_label(field: str) -> str:
    return str(FIELD_LABELS.get(field, field))


@register.filter
def get_person(people: dict, person_id):
    """``people|get_person:id``: the user of that id among those the view looked up."""
    return people.get(person_id) if person_id else None
