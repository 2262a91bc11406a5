"""/subprocessors.atom: the registry's changes as an Atom feed clients can subscribe to.

Entries: every version of the active subprocessors (their history, the first listing included),
recent versions of retired ones (a removal stays visible), and the changes announced to clients
that have not taken effect yet. Links and ids are absolute on GROVE_BASE_URL, so they stay the
same whatever host name the feed is fetched through.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from grove.subprocessors import public as registry
from grove.subprocessors.models import ChangeKind, SubprocessorStatus, SubprocessorVersion

from .policy import category_label, location_text


@dataclass(frozen=True)
class Entry:
    guid: str
    title: str
    description: str
    link: str
    published: datetime.datetime
    updated: datetime.datetime


def page_url() -> str:
    return settings.GROVE_BASE_URL + reverse("privacy:subprocessors")


def _snapshot_text(snapshot: dict) -> str:
    parts = []
    if snapshot.get("service"):
        parts.append(str(snapshot["service"]))
    if snapshot.get("purpose"):
        parts.append(str(snapshot["purpose"]))
    locations = [location_text(loc) for loc in snapshot.get("locations") or []]
    if locations:
        parts.append(_("Locations: %(places)s") % {"places": "; ".join(locations)})
    categories = [category_label(c) for c in snapshot.get("data_categories") or []]
    if categories:
        parts.append(_("Data: %(categories)s") % {"categories": ", ".join(categories)})
    if snapshot.get("transfer_safeguards"):
        parts.append(_("Safeguards: %(text)s") % {"text": snapshot["transfer_safeguards"]})
    return "\n".join(parts)


def _version_entry(version: SubprocessorVersion) -> Entry:
    snapshot = version.snapshot if isinstance(version.snapshot, dict) else {}
    name = str(snapshot.get("name") or version.subprocessor.name)
    slug = version.subprocessor.slug
    if snapshot.get("status") == SubprocessorStatus.RETIRED:
        what = _("retired")
    elif version.change is None or version.change.kind == ChangeKind.ADD:
        what = _("listed")
    else:
        what = _("changed")
    title = _("%(name)s: %(what)s (version %(number)d)") % {
        "name": name,
        "what": what,
        "number": version.number,
    }
    return Entry(
        guid=f"{page_url()}#{slug}-v{version.number}",
        title=title,
        description=_snapshot_text(snapshot),
        link=f"{page_url()}#sp-{slug}",
        published=version.recorded_at,
        updated=version.recorded_at,
    )


def _announced_entry(change: registry.PublicChange) -> Entry:
    effective = date_format(change.effective_on, "DATE_FORMAT") if change.effective_on else "?"
    title = _("Announced: %(kind)s of %(name)s, effective %(date)s") % {
        "kind": change.kind_label.lower(),
        "name": change.subprocessor_name,
        "date": effective,
    }
    text = "\n".join(part for part in (change.summary, change.implications) if part)
    moment = change.announced_at or timezone.now()
    return Entry(
        guid=f"{page_url()}#{change.anchor}",
        title=title,
        description=text,
        link=f"{page_url()}#{change.anchor}",
        published=moment,
        updated=moment,
    )


def entries() -> list[Entry]:
    """The feed's entries, newest first."""
    found = [_version_entry(v) for v in registry.published_versions()]
    found += [_announced_entry(c) for c in registry.announced_changes()]
    return sorted(found, key=lambda e: (e.updated, e.guid), reverse=True)


class SubprocessorFeed(Feed):
    feed_type = Atom1Feed

    def title(self):
        return _("%(operator)s subprocessors") % {"operator": settings.GROVE_OPERATOR_NAME}

    def subtitle(self):
        return _(
            "The subprocessors that process personal data for %(operator)s, their changes and "
            "the changes announced to clients."
        ) % {"operator": settings.GROVE_OPERATOR_NAME}

    def link(self):
        return page_url()

    def feed_url(self):
        return settings.GROVE_BASE_URL + reverse("privacy:subprocessors_atom")

    def author_name(self):
        return settings.GROVE_OPERATOR_NAME

    def items(self):
        return entries()

    def item_title(self, item: Entry) -> str:
        return item.title

    def item_description(self, item: Entry) -> str:
        # Atom summaries are HTML: the registry's plain text is escaped, its lines kept.
        return linebreaksbr(item.description, autoescape=True)

    def item_link(self, item: Entry) -> str:
        return item.link

    def item_guid(self, item: Entry) -> str:
        return item.guid

    def item_guid_is_permalink(self, item: Entry) -> bool:
        return False

    def item_pubdate(self, item: Entry) -> datetime.datetime:
        return item.published

    def item_updateddate(self, item: Entry) -> datetime.datetime:
        return item.updated
