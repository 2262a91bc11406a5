"""Practices: the feed, search, writing one's own, reactions, comments, attachments, curation.

Thin: parse (ninja), look up through grove.practices.queries (404), call the action, shape the
answer (serialize.py). No model is queried here.
"""

from __future__ import annotations

import uuid

from ninja import File, Query, Router, Status, UploadedFile

from grove.practices import actions, queries
from grove.practices.queries import FeedFilters

from . import serialize
from .auth import MemberRequest
from .lookups import job_types_in_body, topic_in_body
from .schemas import (
    MAX_PAGE_SIZE,
    AttachmentDetailOut,
    AttachmentOut,
    BoostIn,
    CommentIn,
    CommentOut,
    Detail,
    FeedOut,
    PracticeCreateIn,
    PracticeIn,
    PracticeOrder,
    PracticeOut,
    ReactionKindName,
    ReactionOut,
    RejectIn,
    SearchOut,
    ValidationErrorOut,
)

router = Router(tags=["practices"])

ERRORS = {401: Detail, 403: Detail, 404: Detail, 422: ValidationErrorOut}


def _filters(topic, country, job_type, tag, order) -> FeedFilters:
    return FeedFilters(
        topic_id=str(topic) if topic else None,
        country=(country or "").upper() or None,
        job_type_id=str(job_type) if job_type else None,
        tag=(tag or "").strip().lower() or None,
        order=order,
    )


# --- Reading -------------------------------------------------------------------------------------


@router.get("/practices", response={200: FeedOut, 400: Detail, 401: Detail, 422: Detail})
def feed(
    request: MemberRequest,
    topic: uuid.UUID | None = None,
    country: str | None = Query(None, max_length=2),
    job_type: uuid.UUID | None = None,
    tag: str | None = Query(None, max_length=50),
    order: PracticeOrder = "newest",
    cursor: str | None = Query(None, max_length=500),
    page_size: int = Query(20, ge=1, le=MAX_PAGE_SIZE),
):
    """The organization's published practices that target the caller; boosted ones first on
    the first page."""
    page = queries.feed_page(
        request.auth,
        filters=_filters(topic, country, job_type, tag, order),
        cursor=cursor,
        page_size=page_size,
        request=request,
    )
    return serialize.json_response(
        {
            "items": [serialize.practice(p) for p in page.items],
            "boosted": [serialize.practice(p) for p in page.boosted],
            "next_cursor": page.next_cursor,
        }
    )


@router.get("/practices/search", response={200: SearchOut, 400: Detail, 401: Detail})
def search(
    request: MemberRequest,
    q: str = Query(..., max_length=200),
    topic: uuid.UUID | None = None,
    country: str | None = Query(None, max_length=2),
    job_type: uuid.UUID | None = None,
    tag: str | None = Query(None, max_length=50),
    cursor: str | None = Query(None, max_length=500),
    page_size: int = Query(20, ge=1, le=MAX_PAGE_SIZE),
):
    """Full-text search over title, body and tags, best match first."""
    page = queries.search_page(
        request.auth,
        query=q,
        filters=_filters(topic, country, job_type, tag, "newest"),
        cursor=cursor,
        page_size=page_size,
        request=request,
    )
    return serialize.json_response(
        {
            "items": [serialize.search_result(p) for p in page.items],
            "next_cursor": page.next_cursor,
        }
    )


@router.get("/practices/{practice_id}", response={200: PracticeOut, **ERRORS})
def practice_detail(request: MemberRequest, practice_id: uuid.UUID):
    """One practice (counts a view, as opening it on the web does)."""
    practice = queries.practice_for_member(request.auth, practice_id, request=request)
    actions.practice_viewed(actor=request.auth, practice=practice, request=request)
    return serialize.practice(practice)


def _written(request: MemberRequest, practice) -> dict:
    """The answer to a write: the practice as it now is (read back for its author or a
    manager, without a view event: the write has its own)."""
    fresh = queries.practice_for_author(request.auth, practice.pk)
    return serialize.practice(fresh, all_attachments=True)


# --- Writing one's own ---------------------------------------------------------------------------


def _practice_fields(payload: PracticeIn) -> dict:
    return {
        "topic": topic_in_body(payload.topic),
        "title": payload.title,
        "body": payload.body,
        "language": payload.language,
        "tags": list(payload.tags),
        "target_countries": [c.upper() for c in payload.target_countries],
        "target_job_types": job_types_in_body(payload.target_job_types),
    }


@router.post("/practices", response={201: PracticeOut, **ERRORS})
def practice_create(request: MemberRequest, payload: PracticeCreateIn):
    """A draft, or published at once with ``publish`` (pending when the organization requires
    validation)."""
    practice = actions.practice_create(
        actor=request.auth, publish=payload.publish, request=request, **_practice_fields(payload)
    )
    return Status(201, _written(request, practice))


@router.put("/practices/{practice_id}", response={200: PracticeOut, **ERRORS})
def practice_update(request: MemberRequest, practice_id: uuid.UUID, payload: PracticeIn):
    practice = queries.practice_for_author(request.auth, practice_id)
    practice = actions.practice_update(
        actor=request.auth, practice=practice, request=request, **_practice_fields(payload)
    )
    return _written(request, practice)


@router.delete("/practices/{practice_id}", response={204: None, **ERRORS})
def practice_delete(request: MemberRequest, practice_id: uuid.UUID):
    practice = queries.practice_for_author(request.auth, practice_id)
    actions.practice_delete(actor=request.auth, practice=practice, request=request)
    return Status(204, None)


@router.post("/practices/{practice_id}/publish", response={200: PracticeOut, **ERRORS})
def practice_publish(request: MemberRequest, practice_id: uuid.UUID):
    practice = queries.practice_for_author(request.auth, practice_id)
    practice = actions.practice_publish(actor=request.auth, practice=practice, request=request)
    return _written(request, practice)


# --- Reactions and comments ----------------------------------------------------------------------


def _react(request: MemberRequest, practice_id: uuid.UUID, kind: str, on: bool) -> dict:
    practice = queries.practice_for_member(request.auth, practice_id, request=request)
    practice = actions.reaction_set(
        actor=request.auth, practice=practice, kind=kind, on=on, request=request
    )
    return {
        "kind": kind,
        "on": on,
        "counts": {
            "adoptions": practice.adoption_count,
            "useful": practice.useful_count,
            "comments": practice.comment_count,
            "views": practice.view_count,
        },
    }


@router.put("/practices/{practice_id}/reactions/{kind}", response={200: ReactionOut, **ERRORS})
def reaction_on(request: MemberRequest, practice_id: uuid.UUID, kind: ReactionKindName):
    """Mark the practice useful, adopted ("I adopted it") or bookmarked (idempotent)."""
    return _react(request, practice_id, kind, True)


@router.delete("/practices/{practice_id}/reactions/{kind}", response={200: ReactionOut, **ERRORS})
def reaction_off(request: MemberRequest, practice_id: uuid.UUID, kind: ReactionKindName):
    return _react(request, practice_id, kind, False)


@router.get("/practices/{practice_id}/comments", response={200: list[CommentOut], **ERRORS})
def comment_list(request: MemberRequest, practice_id: uuid.UUID):
    """Top-level comments, oldest first, each with its replies."""
    practice = queries.practice_for_member(request.auth, practice_id, request=request)
    return [serialize.comment(c) for c in queries.comments_for(request.auth, practice)]


@router.post("/practices/{practice_id}/comments", response={201: CommentOut, **ERRORS})
def comment_add(request: MemberRequest, practice_id: uuid.UUID, payload: CommentIn):
    """Comment, or reply to a top-level comment with ``parent``."""
    practice = queries.practice_for_member(request.auth, practice_id, request=request)
    parent = queries.comment_for_member(request.auth, payload.parent) if payload.parent else None
    comment = actions.comment_add(
        actor=request.auth, practice=practice, body=payload.body, parent=parent, request=request
    )
    return Status(201, serialize.comment(comment))


@router.delete("/comments/{comment_id}", response={204: None, **ERRORS})
def comment_delete(request: MemberRequest, comment_id: uuid.UUID):
    comment = queries.comment_for_member(request.auth, comment_id)
    actions.comment_delete(actor=request.auth, comment=comment, request=request)
    return Status(204, None)


# --- Attachments ---------------------------------------------------------------------------------


@router.post("/practices/{practice_id}/attachments", response={201: AttachmentOut, **ERRORS})
def attachment_add(request: MemberRequest, practice_id: uuid.UUID, file: File[UploadedFile]):
    """Attach a photo (JPEG, PNG, WebP: re-encoded, metadata removed) or a short MP4 video to
    one's own practice. The type is read from the bytes."""
    from grove.practices import attachments

    practice = queries.practice_for_author(request.auth, practice_id)
    prepared = attachments.prepare_upload(file)
    attachment = attachments.attachment_add(
        actor=request.auth, practice=practice, prepared=prepared, request=request
    )
    return Status(201, serialize.attachment(attachment))


@router.get("/attachments/{attachment_id}", response={200: AttachmentDetailOut, **ERRORS})
def attachment_detail(request: MemberRequest, attachment_id: uuid.UUID):
    """An attachment's description; the file itself is downloaded from ``url``."""
    from grove.practices import attachments

    attachment = attachments.attachment_for_member(request.auth, attachment_id)
    return serialize.attachment_detail(attachment)


# --- Curation (managers) -------------------------------------------------------------------------


def _curate(request: MemberRequest, practice_id: uuid.UUID, action, **kwargs) -> dict:
    practice = queries.practice_for_member(request.auth, practice_id, request=request)
    practice = action(actor=request.auth, practice=practice, request=request, **kwargs)
    return _written(request, practice)


@router.post("/practices/{practice_id}/validate", response={200: PracticeOut, **ERRORS})
def practice_validate(request: MemberRequest, practice_id: uuid.UUID):
    """Publish a practice waiting in the moderation queue."""
    return _curate(request, practice_id, actions.practice_validate)


@router.post("/practices/{practice_id}/reject", response={200: PracticeOut, **ERRORS})
def practice_reject(request: MemberRequest, practice_id: uuid.UUID, payload: RejectIn):
    """Send a waiting practice back to its author as a draft, with the reason."""
    return _curate(request, practice_id, actions.practice_reject, reason=payload.reason)


@router.post("/practices/{practice_id}/boost", response={200: PracticeOut, **ERRORS})
def practice_boost(request: MemberRequest, practice_id: uuid.UUID, payload: BoostIn):
    """Push to the top of the feed until ``until``."""
    return _curate(request, practice_id, actions.practice_boost, until=payload.until)


@router.delete("/practices/{practice_id}/boost", response={200: PracticeOut, **ERRORS})
def practice_unboost(request: MemberRequest, practice_id: uuid.UUID):
    return _curate(request, practice_id, actions.practice_unboost)


@router.post("/practices/{practice_id}/highlight", response={200: PracticeOut, **ERRORS})
def practice_highlight(request: MemberRequest, practice_id: uuid.UUID):
    return _curate(request, practice_id, actions.practice_highlight)


@router.delete("/practices/{practice_id}/highlight", response={200: PracticeOut, **ERRORS})
def practice_unhighlight(request: MemberRequest, practice_id: uuid.UUID):
    return _curate(request, practice_id, actions.practice_unhighlight)


@router.post("/practices/{practice_id}/archive", response={200: PracticeOut, **ERRORS})
def practice_archive(request: MemberRequest, practice_id: uuid.UUID):
    return _curate(request, practice_id, actions.practice_archive)


@router.delete("/practices/{practice_id}/archive", response={200: PracticeOut, **ERRORS})
def practice_unarchive(request: MemberRequest, practice_id: uuid.UUID):
    return _curate(request, practice_id, actions.practice_unarchive)
