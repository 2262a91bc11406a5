"""Template helpers of the practices pages: media URLs, a practice's first photo, and what a
card shows (``card``)."""

from __future__ import annotations

import functools
import html
import uuid
from urllib.parse import quote

from django import template
from django.template.defaultfilters import date as date_filter
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.formats import localize
from django.utils.safestring import mark_safe

# Public in Django (what templates use to localise times) but missing from django-stubs.
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


def _media_url(name: str, attachment_id, suffix: str) -> str:
    try:
        return reverse(f"media:{name}", args=[attachment_id])
    except NoReverseMatch:
        # Until the media views are mounted: the path they will answer on.
        return f"/files/{attachment_id}/{suffix}"


@register.filter
def thumbnail_url(attachment) -> str:
    """The thumbnail of a photo (served, counted and checked by the media views)."""
    return _media_url("thumbnail", attachment.pk, "thumbnail")


@register.filter
def file_url(attachment) -> str:
    """The full photo or the video."""
    return _media_url("attachment", attachment.pk, "")


@register.filter
def first_image(practice):
    """The practice's first photo, from what the query prefetched (never a query per card)."""
    known = getattr(practice, "first_image", None)
    if known is not None:
        return known
    cache = getattr(practice, "_prefetched_objects_cache", {})
    for name in ("images", "attachments"):
        for attachment in cache.get(name, ()):
            if attachment.kind == "image":
                return attachment
    return None


@register.filter
def prefetched(practice, name: str) -> list:
    """A relation the query prefetched, or nothing (a card never runs a query of its own)."""
    cache = getattr(practice, "_prefetched_objects_cache", {})
    if name in cache:
        return list(cache[name])
    return []


@register.filter
def status_label(status: str) -> str:
    """A practice's status in the reader's language."""
    labels = {
        "draft": _("Draft"),
        "pending": _("Waiting for validation"),
        "published": _("Published"),
        "archived": _("Archived"),
    }
    return labels.get(status, status)


_PLACEHOLDER = uuid.UUID(int=0)


@functools.cache
def _url_pattern(name: str, prefix: str, urlconf) -> str:
    # Reversed once per URL configuration and script prefix, then formatted: a page of cards
    # costs no URL resolution each (two ``{% url %}`` per card were a tenth of the page).
    if name == "practices:feed":
        return reverse(name, urlconf=urlconf)
    return reverse(name, args=[_PLACEHOLDER], urlconf=urlconf).replace(str(_PLACEHOLDER), "{}")


def _url(name: str, object_id=None) -> str:
    pattern = _url_pattern(name, get_script_prefix(), get_urlconf())
    return pattern if object_id is None else pattern.format(object_id)


def _counted(translated: str, count: int) -> str:
    # As ``{% blocktranslate count counter=... %}`` renders: the translation is not escaped,
    # the number is localized and escaped. ``translated`` is ngettext's, called where the
    # strings are written: makemessages finds them only as ngettext's arguments.
    return translated % {"counter": _esc(localize(count))}


def _esc(value) -> str:
    # What the template's autoescape (conditional_escape) makes of a value, in fewer calls:
    # safe strings as they are, anything else through html.escape.
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


@register.filter
def select_options(options) -> str:
    """The ``<option>``s of one of the filters' selects, from ``FeedFilterForm.rows``'
    (value, label, selected): what ``_filters.html`` looped over, 250 countries a page, built
    in one pass (the template loop cost ~100 Python calls an option)."""
    return mark_safe(  # noqa: S308 -- every value and label escaped
        "".join(
            f'\n      <option value="{_esc(value)}"{" selected" if selected else ""}>'
            f"{_esc(label)}</option>"
            for value, label, selected in options
        )
    )


@register.simple_tag(takes_context=True)
def practice_card(context, practice) -> str:
    """A practice's card (``practices/_card.html``): the markup its template tags made, built
    in Python. A page renders 20-23 cards and the template engine cost ~3,300 Python calls a
    card (a fifth of them for its ``{% url %}``, plurals and dates): this costs a small part of
    that. Every text is escaped as the template escaped it (``_esc``); the plural phrases are
    not, as ``blocktranslate`` does not escape a translation. Built for each rendering, never
    kept: an erased author's name must not outlive the request. ``show_status`` and
    ``with_snippets`` come from the including template's context, as before."""
    image = first_image(practice)
    detail_url = _esc(_url("practices:detail", practice.pk))
    boosted = practice.is_boosted()
    highlighted = practice.highlighted_at
    show_status = context.get("show_status")
    out = [
        f'\n<li class="card{" has-thumb" if image else ""}{" is-boosted" if boosted else ""}'
        f'{" is-highlighted" if highlighted else ""}" id="practice-{_esc(practice.pk)}">\n  '
    ]
    if image:
        out.append(
            f'<a class="card-thumb" href="{detail_url}" tabindex="-1" aria-hidden="true">'
            f'<img src="{_esc(thumbnail_url(image))}" alt="" loading="lazy" width="320" '
            'height="240"></a>'
        )
    out.append(f'\n  <h3><a href="{detail_url}">{_esc(practice.title)}</a></h3>\n  ')
    if boosted or highlighted or show_status:
        badges = [
            f'<span class="badge boosted">{_esc(_("Boosted"))}</span>' if boosted else "",
            f'<span class="badge highlighted">{_esc(_("Highlighted"))}</span>'
            if highlighted
            else "",
            f'<span class="badge status">{_esc(status_label(practice.status))}</span>'
            if show_status
            else "",
        ]
        out.append('<p class="card-meta">\n    ' + "\n    ".join(badges) + "\n  </p>")
    out.append("\n  ")
    snippet = getattr(practice, "snippet", None)
    if context.get("with_snippets") and snippet:
        out.append(f'<p class="snippet">{snippet}</p>')  # safe HTML, as ``|safe`` showed it
    author = practice.author
    if author:
        member_url = _esc(_url("practices:member", author.pk))
        byline = f'<a href="{member_url}">{_esc(author.full_name)}</a>'
    else:
        byline = _esc(_("Former member"))
    published = ""
    if practice.published_at:
        local = template_localtime(practice.published_at)
        published = (
            f'· <time datetime="{_esc(date_filter(local, "c"))}">'
            f"{_esc(date_filter(local, 'SHORT_DATE_FORMAT'))}</time>"
        )
    out.append(
        f'\n  <p class="card-meta">\n    {_esc(practice.topic.name)} ·\n    {byline}\n'
        f"    {published}\n  </p>\n  "
    )
    countries = practice.target_countries
    job_types = prefetched(practice, "target_job_types")
    if countries or job_types:
        out.append(
            f'\n  <p class="card-meta">{_esc(_("For:"))}\n    '
            + ", ".join(_esc(country.name) for country in countries)
            + (" · " if countries and job_types else "")
            + "\n    "
            + ", ".join(_esc(job.name) for job in job_types)
            + "\n  </p>\n  "
        )
    out.append("\n  ")
    tags = prefetched(practice, "tags")
    if tags:
        feed_url = _esc(_url("practices:feed"))
        out.append(
            f'<ul class="tags" aria-label="{_esc(_("Tags"))}">'
            + "".join(
                f'<li><a href="{feed_url}?tag={_esc(quote(tag.name))}">#{_esc(tag.name)}</a></li>'
                for tag in tags
            )
            + "</ul>"
        )
    n = practice.adoption_count
    adoptions = _counted(ngettext("%(counter)s adoption", "%(counter)s adoptions", n), n)
    n = practice.useful_count
    useful = _counted(ngettext("%(counter)s found it useful", "%(counter)s found it useful", n), n)
    n = practice.comment_count
    comments = _counted(ngettext("%(counter)s comment", "%(counter)s comments", n), n)
    out.append(
        f'\n  <p class="counts">\n    <span class="adoptions">{adoptions}</span>\n'
        f"    <span>{useful}</span>\n    <span>{comments}</span>\n  </p>\n</li>"
    )
    return mark_safe("".join(out))  # noqa: S308 -- every piece escaped above
