"""The caller's own lists (practices, bookmarks) and the organization's members."""

from __future__ import annotations

import uuid

from ninja import Query, Router

from grove.practices import queries

from . import serialize
from .auth import MemberRequest
from .schemas import (
    MAX_PAGE_SIZE,
    Detail,
    FeedOut,
    MemberDetailOut,
    MembersOut,
    PracticeListOut,
    ValidationErrorOut,
)

router = Router()

ERRORS = {401: Detail, 403: Detail, 404: Detail, 422: ValidationErrorOut}


@router.get("/me/practices", response={200: PracticeListOut, 401: Detail}, tags=["me"])
def my_practices(
    request: MemberRequest,
    status: str | None = Query(None, pattern="^(draft|pending|published|archived)$"),
):
    """The caller's own practices, in every status, newest first."""
    items = queries.my_practices(request.auth, status=status)
    return {"items": [serialize.practice(p) for p in items]}


@router.get("/me/bookmarks", response={200: FeedOut, 400: Detail, 401: Detail}, tags=["me"])
def my_bookmarks(
    request: MemberRequest,
    cursor: str | None = Query(None, max_length=500),
    page_size: int = Query(20, ge=1, le=MAX_PAGE_SIZE),
):
    page = queries.bookmarks_page(request.auth, cursor=cursor, page_size=page_size, request=request)
    return {
        "items": [serialize.practice(p) for p in page.items],
        "boosted": [],
        "next_cursor": page.next_cursor,
    }


@router.get("/members", response={200: MembersOut, 400: Detail, 401: Detail}, tags=["members"])
def members(
    request: MemberRequest,
    q: str = Query("", max_length=200),
    cursor: str | None = Query(None, max_length=500),
):
    """The organization's active members, by name."""
    page = queries.members_page(request.auth, query=q, cursor=cursor, request=request)
    return {
        "items": [serialize.member(u) for u in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get("/members/{user_id}", response={200: MemberDetailOut, **ERRORS}, tags=["members"])
def member_detail(request: MemberRequest, user_id: uuid.UUID):
    """A member of the caller's organization, with their published practices."""
    profile = queries.member_profile(request.auth, user_id, request=request)
    return {
        **serialize.member(profile.user),
        "practices": [serialize.practice(p) for p in profile.practices],
    }
