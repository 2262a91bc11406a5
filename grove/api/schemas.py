"""The API's shapes: what comes in (checked by ninja: a wrong shape is a 422) and what goes
out (documented in the OpenAPI schema). Serialisation reads only what the queries prefetched:
plain attribute reads, no query per item."""

from __future__ import annotations

import datetime
import uuid
from typing import Literal

from ninja import Field, Schema

PracticeOrder = Literal["newest", "adopted"]
ReactionKindName = Literal["useful", "adopted", "bookmark"]
MAX_PAGE_SIZE = 50


# --- Out ---------------------------------------------------------------------------------------


class Detail(Schema):
    detail: str


class ValidationErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]]


class NamedRef(Schema):
    id: uuid.UUID
    name: str


class Counts(Schema):
    adoptions: int
    useful: int
    comments: int
    views: int


class ReactionOut(Schema):
    kind: str
    on: bool
    counts: Counts


class AttachmentOut(Schema):
    id: uuid.UUID
    kind: str
    url: str
    thumbnail_url: str | None


class AttachmentDetailOut(AttachmentOut):
    practice_id: uuid.UUID
    content_type: str
    size: int
    width: int | None
    height: int | None
    created_at: datetime.datetime


class PracticeOut(Schema):
    id: uuid.UUID
    title: str
    body: str = Field(description="Markdown")
    body_html: str = Field(description="The body rendered and sanitised")
    language: str
    status: str
    topic: NamedRef
    tags: list[str]
    target_countries: list[str]
    target_job_types: list[NamedRef]
    author: NamedRef | None = Field(description="null: a former member")
    published_at: datetime.datetime | None
    boosted_until: datetime.datetime | None
    highlighted: bool
    counts: Counts
    my_reactions: list[str]
    attachments: list[AttachmentOut]


class SearchResultOut(PracticeOut):
    snippet: str = Field(description="Safe HTML; the matches in <mark>")


class FeedOut(Schema):
    items: list[PracticeOut]
    boosted: list[PracticeOut]
    next_cursor: str | None


class SearchOut(Schema):
    items: list[SearchResultOut]
    next_cursor: str | None


class PracticeListOut(Schema):
    items: list[PracticeOut]


class CommentOut(Schema):
    id: uuid.UUID
    body: str
    body_html: str = Field(description="The body rendered and sanitised")
    author: NamedRef | None
    parent_id: uuid.UUID | None
    created_at: datetime.datetime
    replies: list[CommentOut] = []


class TopicOut(Schema):
    id: uuid.UUID
    name: str


class JobTypeOut(Schema):
    id: uuid.UUID
    name: str


class MemberOut(Schema):
    id: uuid.UUID
    name: str
    country: str
    job_type: NamedRef | None


class MemberDetailOut(MemberOut):
    practices: list[PracticeOut]


class MembersOut(Schema):
    items: list[MemberOut]
    next_cursor: str | None


# --- In ----------------------------------------------------------------------------------------


class PracticeIn(Schema):
    topic: uuid.UUID
    title: str = Field(max_length=1000)
    body: str = Field(max_length=100_000)
    language: str = "en"
    tags: list[str] = Field(default_factory=list, max_length=100)
    target_countries: list[str] = Field(default_factory=list, max_length=300)
    target_job_types: list[uuid.UUID] = Field(default_factory=list, max_length=300)


class PracticeCreateIn(PracticeIn):
    publish: bool = False


class CommentIn(Schema):
    body: str = Field(max_length=100_000)
    parent: uuid.UUID | None = None


class RejectIn(Schema):
    reason: str = Field(max_length=10_000)


class BoostIn(Schema):
    until: datetime.datetime


class NameIn(Schema):
    name: str = Field(max_length=1000)
