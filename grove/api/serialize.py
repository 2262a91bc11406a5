"""Objects as the API shows them: plain dicts built from what the queries fetched.

Attribute reads only (related objects and lists come prefetched by the queries), so a page
costs the same number of queries whatever its size."""

from __future__ import annotations

import functools
import json
import uuid

from django.http import HttpResponse
from django.urls import reverse
from ninja.responses import NinjaJSONEncoder

from grove.practices.markdown import comment_html


def json_response(data) -> HttpResponse:
    """A list page's answer, rendered as ninja would but without validating it again against
    its response schema (the tests do): the feed is the benchmarked endpoint."""
    return HttpResponse(
        json.dumps(data, cls=NinjaJSONEncoder), content_type="application/json; charset=utf-8"
    )


def named(obj) -> dict | None:
    if obj is None:
        return None
    return {"id": obj.pk, "name": getattr(obj, "display_name", None) or obj.name}


def person(user) -> dict | None:
    """A member as others see them: id and name (null: a former member)."""
    if user is None:
        return None
    return {"id": user.pk, "name": user.display_name}


@functools.cache
def _url_pattern(name: str) -> str:
    # Reversed once, then formatted: a page of attachments costs no URL resolution each.
    return reverse(name, kwargs={"attachment_id": _PLACEHOLDER}).replace(str(_PLACEHOLDER), "{}")


_PLACEHOLDER = uuid.UUID(int=0)


def attachment(item) -> dict:
    """Downloads go through the web's media views (counted and logged there)."""
    return {
        "id": item.pk,
        "kind": item.kind,
        "url": _url_pattern("media:attachment").format(item.pk),
        "thumbnail_url": _url_pattern("media:thumbnail").format(item.pk)
        if item.thumbnail
        else None,
    }


def attachment_detail(item) -> dict:
    return {
        **attachment(item),
        "practice_id": item.practice_id,
        "content_type": item.content_type,
        "size": item.size,
        "width": item.width,
        "height": item.height,
        "created_at": item.created_at,
    }


def _attachments(practice, every: bool) -> list:
    # One practice comes with all its attachments; lists with their first photo only.
    if every or "attachments" in getattr(practice, "_prefetched_objects_cache", {}):
        return list(practice.attachments.all())
    return list(getattr(practice, "first_images", None) or ())


def _related(item, name: str):
    # What the query prefetched, read without building a related manager per practice and
    # relation (``item.tags`` makes one on every access); the manager when nothing was.
    cache = getattr(item, "_prefetched_objects_cache", None)
    if cache is not None and name in cache:
        return cache[name]
    return getattr(item, name).all()


def practice(item, *, all_attachments: bool = False) -> dict:
    return {
        "id": item.pk,
        "title": item.title,
        "body": item.body,
        "body_html": item.body_html,
        "language": item.language,
        "status": item.status,
        "topic": {"id": item.topic.pk, "name": item.topic.name},
        "tags": [tag.name for tag in _related(item, "tags")],
        "target_countries": [country.code for country in item.target_countries],
        "target_job_types": [
            {"id": job.pk, "name": job.name} for job in _related(item, "target_job_types")
        ],
        "author": person(item.author),
        "published_at": item.published_at,
        "boosted_until": item.boosted_until,
        "highlighted": item.highlighted_at is not None,
        "counts": {
            "adoptions": item.adoption_count,
            "useful": item.useful_count,
            "comments": item.comment_count,
            "views": item.view_count,
        },
        "my_reactions": sorted(getattr(item, "my_reactions", ()) or ()),
        "attachments": [attachment(a) for a in _attachments(item, all_attachments)],
    }


def search_result(item) -> dict:
    return {**practice(item), "snippet": getattr(item, "snippet", "")}


def comment(item) -> dict:
    replies = getattr(item, "prefetched_replies", None)
    if replies is None:
        replies = item.replies.all() if item.parent_id is None else ()
    return {
        "id": item.pk,
        "body": item.body,
        "body_html": getattr(item, "body_html", None) or comment_html(item),
        "author": person(item.author),
        "parent_id": item.parent_id,
        "created_at": item.created_at,
        "replies": [comment(reply) for reply in replies],
    }


def member(user) -> dict:
    return {
        "id": user.pk,
        "name": user.display_name,
        "country": user.country.code if user.country else "",
        "job_type": named(user.job_type),
    }
