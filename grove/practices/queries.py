"""Reads of best practices, scoped to the member asking, with their access-log events.

Every read that shows a person's data (a practice with its author, comments, a member's
profile, a list) goes through one of these functions, which records it in the access log
(``record_event(..., read=True)`` with the ids shown). A practice the member may not see, of
another organization or not existing, is the same ``Http404``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import Comment, Practice


class BadCursor(ValueError):
    """A pagination cursor that does not parse (forged or truncated): a 400, not a 500."""


@dataclass(frozen=True)
class FeedFilters:
    topic_id: str | None = None
    country: str | None = None  # ISO code: practices targeting that country (or everyone)
    job_type_id: str | None = None
    tag: str | None = None
    order: str = "newest"  # or "adopted"


@dataclass
class FeedPage:
    items: list[Practice]  # author, topic, tags, first image prefetched; ``my_reactions`` set
    next_cursor: str | None
    boosted: list[Practice] = field(default_factory=list)  # first page only, newest order


@dataclass
class SearchPage:
    items: list[Practice]  # each with ``snippet`` (safe HTML, matches in <mark>) and ``rank``
    next_cursor: str | None


def visible_practices(member):
    """The QuerySet of practices ``member`` may open (the rule ``practice_for_member`` applies),
    for other reads built on it (attachments, API lists). Records nothing."""
    raise NotImplementedError


def practice_for_member(member, practice_id, *, request=None) -> Practice:
    """A practice the member may open: published ones of their organization, their own in any
    status, pending and archived ones for managers. Records a VIEW. 404 otherwise."""
    raise NotImplementedError


def practice_for_author(member, practice_id) -> Practice:
    """The member's own practice, for editing (managers: any of the organization). 404 else."""
    raise NotImplementedError


def feed_page(
    member, *, filters: FeedFilters, cursor: str | None = None, page_size: int = 20, request=None
) -> FeedPage:
    """Published practices of the member's organization that target them (no target, or
    their country / job type). Currently boosted ones come first on the first page; then
    newest or most adopted, with a cursor. A constant number of queries whatever the page
    size. Records a LIST of the ids shown."""
    raise NotImplementedError


def search_page(
    member,
    *,
    query: str,
    filters: FeedFilters,
    cursor: str | None = None,
    page_size: int = 20,
    request=None,
) -> SearchPage:
    """Full-text search over title, body and tags (PostgreSQL: French and English, accent
    insensitive, ranked, highlighted; SQLite: a simpler contains match). Any string is safe:
    operators and quotes are taken as words. Records a SEARCH of the ids shown."""
    raise NotImplementedError


def comments_for(member, practice: Practice) -> list[Comment]:
    """Top-level comments, oldest first, each with ``replies`` prefetched."""
    raise NotImplementedError


def comment_for_member(member, comment_id) -> Comment:
    raise NotImplementedError


def my_practices(member, *, status: str | None = None) -> list[Practice]:
    """The member's own practices (drafts, pending, published, archived), newest first."""
    raise NotImplementedError


def bookmarks_page(member, *, cursor: str | None = None, page_size: int = 20, request=None):
    """The practices the member bookmarked, newest bookmark first (a FeedPage)."""
    raise NotImplementedError


def moderation_queue(manager, *, request=None) -> list[Practice]:
    """Pending practices of the manager's organization, oldest first (Capability.CONTENT_CURATE)."""
    raise NotImplementedError


def member_profile(member, user_id, *, request=None):
    """Another member of the same organization (name, country, job type, their published
    practices). Records a VIEW. 404 for anyone else."""
    raise NotImplementedError


def members_page(member, *, query: str = "", cursor: str | None = None, request=None):
    """The organization's active members, by name; records a LIST."""
    raise NotImplementedError
