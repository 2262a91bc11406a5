"""Template helpers of the practices pages: media URLs and a practice's first photo."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

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
