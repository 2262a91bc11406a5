"""Reads of best practices, scoped to the member asking, with their access-log events.

Every read that shows a person's data (a practice with its author, comments, a member's
profile, a list) goes through one of these functions, which records it in the access log
(``record_event(..., read=True)`` with the ids shown). A practice the member may not see, of
another organization or not existing, is the same ``Http404``.

Each function runs in the member's own tenant scope (it enters it itself), and filters on the
member's organization explicitly as well: the scoped manager and row-level security are the
walls behind it.
"""

from __future__ import annotations

import datetime
import html
import re
import uuid
from dataclasses import dataclass, field
from typing import cast

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_countries import countries

from grove.accounts.models import OrgRole, User
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.staff.authorization import Capability, authorize, permits
from grove.tenancy.context import TenantScopeError, current_scope, tenant_context
from grove.tenancy.models import JobType

from . import cursors
from .cursors import BadCursor
from .markdown import comment_html
from .models import (
    Attachment,
    AttachmentKind,
    Comment,
    Practice,
    PracticeJobTypeTarget,
    PracticeStatus,
    PracticeTag,
    Reaction,
    ReactionKind,
    Tag,
)

__all__ = [
    "BadCursor",
    "FeedFilters",
    "FeedPage",
    "MemberProfile",
    "MembersPage",
    "SearchPage",
]

MAX_PAGE_SIZE = 100
MAX_BOOSTED = 5
MAX_QUERY_LENGTH = 200
MAX_SEARCH_OFFSET = 1_000
MEMBERS_PAGE_SIZE = 30


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


@dataclass
class MemberProfile:
    user: User  # name, country, job type (job_type selected)
    practices: list[Practice]  # their published practices, newest first, prefetched as a feed


@dataclass
class MembersPage:
    items: list[User]
    next_cursor: str | None


# --- Scope and visibility ----------------------------------------------------------------------


def _organization_id(member):
    """The member's organization id, if they may read its content; Http404 otherwise."""
    organization_id = getattr(member, "organization_id", None)
    if organization_id is None or not getattr(member, "is_authenticated", False):
        raise Http404
    with tenant_context(organization_id):
        if not permits(
            user=member, organization=member.organization, capability=Capability.CONTENT_READ
        ):
            raise Http404
    return organization_id


def _is_manager(member) -> bool:
    return member.org_role == OrgRole.MANAGER


def _as_uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def _visible(member, organization_id):
    rule = Q(status=PracticeStatus.PUBLISHED) | Q(author_id=member.pk)
    if _is_manager(member):
        rule |= Q(status__in=[PracticeStatus.PENDING, PracticeStatus.ARCHIVED])
    return Practice.objects.filter(rule, organization_id=organization_id)


def visible_practices(member):
    """The QuerySet of practices ``member`` may open (the rule ``practice_for_member`` applies),
    for other reads built on it (attachments, API lists). Records nothing.

    Published ones of their organization, their own in any status, and for managers the
    pending and archived ones too. Evaluate it in the member's tenant scope."""
    organization_id = _organization_id(member)
    with tenant_context(organization_id):
        return _visible(member, organization_id)


def _record(action, member, object_type, ids, request, **details) -> None:
    record_event(
        action=action,
        actor=member,
        organization=member.organization_id,
        object_type=object_type,
        object_ids=ids,
        request=request,
        read=True,
        details=details,
    )


def _decorate(member, practices: list[Practice]) -> list[Practice]:
    """Tags, job-type targets, the first image and the member's own reactions, for any
    number of practices in one query (``_decorations``)."""
    if not practices:
        return practices
    ids = [p.pk for p in practices]
    tags: dict = {pk: [] for pk in ids}
    targets: dict = {pk: [] for pk in ids}
    images: dict = {}
    mine: dict = {pk: set() for pk in ids}
    for row in _decorations(member, ids):
        part, practice_id = row[0], row[1]
        if part == "t":
            tags[practice_id].append(Tag.from_db(connection.alias, _TAG_FIELDS, row[2:5]))
        elif part == "j":
            targets[practice_id].append(
                JobType.from_db(connection.alias, _JOB_TYPE_FIELDS, row[2:6])
            )
        elif part == "r":
            mine[practice_id].add(row[4])
        else:
            image = Attachment.from_db(
                connection.alias,
                _ATTACHMENT_FIELDS,
                (row[2], row[3], row[1], row[4], *row[6:14], row[5]),
            )
            known = images.get(practice_id)
            if known is None or (image.position, image.created_at) < (
                known.position,
                known.created_at,
            ):
                images[practice_id] = image
    for practice in practices:
        cache = practice.__dict__.setdefault("_prefetched_objects_cache", {})
        cache["tags"] = _as_prefetched(
            Tag,
            sorted(tags[practice.pk], key=_name),
            practices=practice.pk,
            organization_id=practice.organization_id,
        )
        cache["target_job_types"] = _as_prefetched(
            JobType,
            sorted(targets[practice.pk], key=_name),
            targeted_practices=practice.pk,
            organization_id=practice.organization_id,
        )
        first_image = images.get(practice.pk)
        practice.first_image = first_image
        practice.first_images = [first_image] if first_image else []
        practice.my_reactions = mine[practice.pk]
    return practices


_TAG_FIELDS = ["id", "organization_id", "name"]
_JOB_TYPE_FIELDS = ["id", "organization_id", "name", "created_at"]
_ATTACHMENT_FIELDS = [
    "id", "organization_id", "practice_id", "kind", "file", "thumbnail", "content_type", "size",
    "width", "height", "position", "download_count", "created_at",
]  # fmt: skip

# The four decorations of a list of practices in one statement: one round trip instead of four,
# and no ORM query to build and compile (together about a third of a feed request). Columns by
# type, the photos' part (first) giving each its type: the part, the practice, an id, an
# organization, a text (the photo's kind, a tag's or job type's name, a reaction's kind), a
# date (the photo's or job type's creation), then the rest of a photo's columns. Each part is
# filtered on the tenant as the scoped managers filter (and RLS applies on PostgreSQL).
_DECORATIONS_SQL = """
SELECT 'i', a.practice_id, a.id, a.organization_id, a.kind, a.created_at, a.file, a.thumbnail,
       a.content_type, a.size, a.width, a.height, a.position, a.download_count
  FROM practices_attachment a
 WHERE a.practice_id {ids} AND a.kind = %s{scope_a}
UNION ALL
SELECT 't', pt.practice_id, t.id, t.organization_id, t.name, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL
  FROM practices_practicetag pt JOIN practices_tag t ON t.id = pt.tag_id
 WHERE pt.practice_id {ids}{scope_pt}
UNION ALL
SELECT 'j', jt.practice_id, j.id, j.organization_id, j.name, j.created_at, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL
  FROM practices_practicejobtypetarget jt JOIN tenancy_jobtype j ON j.id = jt.job_type_id
 WHERE jt.practice_id {ids}{scope_jt}
UNION ALL
SELECT 'r', r.practice_id, NULL, NULL, r.kind, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL
  FROM practices_reaction r
 WHERE r.practice_id {ids} AND r.user_id = %s{scope_r}
"""


def _decorations(member, ids: list) -> list[tuple]:
    """The rows of ``_DECORATIONS_SQL`` for these practices, converted as the ORM converts
    (UUIDs and dates come back as text on SQLite)."""
    scope = current_scope()
    if scope.is_unscoped:
        organization = None
    elif scope.organization_id is None:
        raise TenantScopeError("practice decorations queried with no tenant")
    else:
        organization = scope.organization_id
    uuid_prep = _uuid_field().get_db_prep_value
    db_ids = [uuid_prep(pk, connection) for pk in ids]
    if connection.vendor == "postgresql":
        # One array parameter: the same statement text and parameter count for any number of
        # practices, so psycopg caches its preparation (not with an IN list's 4 x n parameters).
        marks, db_ids = "= ANY(%s)", [db_ids]
    else:
        marks = "IN ({})".format(", ".join(["%s"] * len(db_ids)))
    scoped = {}
    for alias in ("a", "pt", "jt", "r"):
        scoped[f"scope_{alias}"] = f" AND {alias}.organization_id = %s" if organization else ""
    org = [uuid_prep(organization, connection)] if organization else []
    params = [
        *db_ids, AttachmentKind.IMAGE.value, *org,
        *db_ids, *org,
        *db_ids, *org,
        *db_ids, uuid_prep(member.pk, connection), *org,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_DECORATIONS_SQL.format(ids=marks, **scoped), params)
        rows = cursor.fetchall()
    converters = _decoration_converters()
    if not converters:
        return rows
    converted = []
    for row in rows:
        row = list(row)
        for index, functions, expression in converters:
            value = row[index]
            for function in functions:
                value = function(value, expression, connection)
            row[index] = value
        converted.append(tuple(row))
    return converted


def _uuid_field():
    return Practice._meta.pk


_CONVERTERS: dict = {}


def _decoration_converters() -> list:
    """(column, converters, expression) for the columns the database hands back as something
    else than the model's type (none on PostgreSQL; UUIDs and dates on SQLite)."""
    key = connection.vendor
    if key not in _CONVERTERS:
        columns = {
            1: Attachment._meta.get_field("practice"),
            2: Attachment._meta.pk,
            3: Attachment._meta.get_field("organization"),
            5: Attachment._meta.get_field("created_at"),
        }
        found = []
        for index, model_field in columns.items():
            expression = model_field.get_col(Attachment._meta.db_table)
            functions = connection.ops.get_db_converters(expression) + expression.get_db_converters(
                connection
            )
            if functions:
                found.append((index, functions, expression))
        _CONVERTERS[key] = found
    return _CONVERTERS[key]


def _name(obj) -> str:
    return obj.name


def _as_prefetched(model, objects: list, **relation):
    """What ``practice.<relation>.all()`` returns once prefetched: a queryset already holding
    ``objects``, so reading it (iterating, ``len``, ``count``, ``exists``, ``bool``) runs no
    query. Built bare rather than through the related manager: a manager and a tenant-filtered
    queryset per practice and relation cost about a third of a feed request.

    Narrowing it (``filter``, ``order_by``...) queries the database as the related manager
    would: ``relation`` (the practice and its organization) is kept as Django's own related
    querysets keep theirs, a deferred filter applied only when the query is built."""
    queryset = model._default_manager._queryset_class(model=model)
    queryset._deferred_filter = (False, (), relation)
    queryset._result_cache = objects
    queryset._prefetch_done = True
    return queryset


# What a list of practices shows: every column of the practice but its search vector, the
# author's name (and whether they were erased: then a former member) and the topic's. Not the
# author's email, password hash or settings: a card never shows them, so they are neither
# fetched nor turned into objects (a third fewer columns). A field a list starts showing goes
# here, or each card loads it with a query of its own (the constant-query tests catch it).
LIST_FIELDS = (
    *(f.name for f in Practice._meta.concrete_fields if f.name != "search_vector"),
    "author__first_name",
    "author__last_name",
    "author__erased_at",
    "topic__name",
)


def for_lists(queryset):
    """``queryset`` of practices with their author and topic, as a list shows them."""
    return queryset.select_related("author", "topic").only(*LIST_FIELDS)


# --- One practice ------------------------------------------------------------------------------


def _practice_queryset(member, organization_id):
    return _visible(member, organization_id).select_related("author", "author__job_type", "topic")


def practice_for_member(member, practice_id, *, request=None) -> Practice:
    """A practice the member may open: published ones of their organization, their own in any
    status, pending and archived ones for managers. Records a VIEW. 404 otherwise.

    Comes with tags, job-type targets, every attachment (``attachments.all()`` prefetched;
    ``first_image`` too) and ``my_reactions``."""
    organization_id = _organization_id(member)
    practice_uuid = _as_uuid(practice_id)
    if practice_uuid is None:
        raise Http404
    with tenant_context(organization_id):
        practice = (
            _practice_queryset(member, organization_id)
            .prefetch_related(
                Prefetch(
                    "attachments",
                    queryset=Attachment.objects.order_by("position", "created_at"),
                )
            )
            .filter(pk=practice_uuid)
            .first()
        )
        if practice is None:
            raise Http404
        _decorate(member, [practice])
        _record(AuditAction.VIEW, member, "practice", [practice.pk], request)
    return practice


def practice_for_author(member, practice_id) -> Practice:
    """The member's own practice, for editing (managers: any of the organization). 404 else.
    Records nothing (the edit itself is recorded by the action)."""
    organization_id = _organization_id(member)
    practice_uuid = _as_uuid(practice_id)
    if practice_uuid is None:
        raise Http404
    with tenant_context(organization_id):
        queryset = Practice.objects.filter(organization_id=organization_id, pk=practice_uuid)
        if not _is_manager(member):
            queryset = queryset.filter(author_id=member.pk)
        practice = queryset.select_related("author", "topic").first()
        if practice is None:
            raise Http404
        _decorate(member, [practice])
    return practice


# --- The feed ----------------------------------------------------------------------------------


def _targeting(member):
    """No target, or the member's country / job type among the targets."""
    country = str(member.country or "")
    # CountryField(multiple=True) stores "FR,DE": two-letter codes never match across a comma.
    countries_rule = Q(target_countries="")
    if country:
        countries_rule |= Q(target_countries__contains=country)
    job_targets = PracticeJobTypeTarget.objects.filter(practice_id=OuterRef("pk"))
    job_rule = ~Exists(job_targets)
    if member.job_type_id:
        job_rule |= Exists(job_targets.filter(job_type_id=member.job_type_id))
    return countries_rule & job_rule


def _published_for(member, organization_id, filters: FeedFilters):
    """The published practices targeting ``member``, with the filters; None when a filter
    cannot match anything (an id that is not a UUID, an unknown country)."""
    queryset = Practice.objects.filter(
        _targeting(member),
        organization_id=organization_id,
        status=PracticeStatus.PUBLISHED,
        published_at__isnull=False,
    )
    if filters.topic_id:
        topic_id = _as_uuid(filters.topic_id)
        if topic_id is None:
            return None
        queryset = queryset.filter(topic_id=topic_id)
    if filters.country:
        code = str(filters.country).strip().upper()
        if len(code) != 2 or code not in countries:
            return None
        queryset = queryset.filter(Q(target_countries="") | Q(target_countries__contains=code))
    if filters.job_type_id:
        job_type_id = _as_uuid(filters.job_type_id)
        if job_type_id is None:
            return None
        job_targets = PracticeJobTypeTarget.objects.filter(practice_id=OuterRef("pk"))
        queryset = queryset.filter(
            ~Exists(job_targets) | Exists(job_targets.filter(job_type_id=job_type_id))
        )
    if filters.tag:
        name = " ".join(str(filters.tag).split()).lstrip("#").lower()
        if not name:
            return None
        queryset = queryset.filter(
            Exists(PracticeTag.objects.filter(practice_id=OuterRef("pk"), tag__name=name))
        )
    return queryset


def published_for_member(member):
    """The published practices of the member's organization that target them: the feed's rule
    without filters, boosts or order, for reads built on it (the mail digest). Records nothing;
    evaluate it in the member's tenant scope."""
    return _published_for(member, _organization_id(member), FeedFilters())


ORDERS = {
    "newest": ("-published_at", "-id"),
    "adopted": ("-adoption_count", "-published_at", "-id"),
}


def _page_size(page_size) -> int:
    try:
        return max(1, min(int(page_size), MAX_PAGE_SIZE))
    except (TypeError, ValueError):
        return 20


def _feed_cursor(order: str, practice: Practice) -> str:
    # The feed lists published practices only: published_at is set.
    key: list[str | int] = [
        cast(datetime.datetime, practice.published_at).isoformat(),
        str(practice.pk),
    ]
    if order == "adopted":
        key = [practice.adoption_count, *key]
    return cursors.encode(f"feed-{order}", key)


def _after_cursor(queryset, order: str, cursor: str):
    """Keyset: the rows after the cursor's (adoption count,) publication date and id. The
    redundant ``<=`` on the leading column lets PostgreSQL bound the index scan with it."""
    length = 3 if order == "adopted" else 2
    values = cursors.decode(f"feed-{order}", cursor, length=length)
    published_at = parse_datetime(values[-2]) if isinstance(values[-2], str) else None
    practice_id = _as_uuid(values[-1])
    if published_at is None or timezone.is_naive(published_at) or practice_id is None:
        raise BadCursor("bad cursor")
    after_date = Q(published_at__lt=published_at) | Q(published_at=published_at, id__lt=practice_id)
    if order == "newest":
        return queryset.filter(after_date, published_at__lte=published_at)
    adoption_count = values[0]
    if not isinstance(adoption_count, int) or isinstance(adoption_count, bool):
        raise BadCursor("bad cursor")
    return queryset.filter(
        Q(adoption_count__lt=adoption_count) | (Q(adoption_count=adoption_count) & after_date),
        adoption_count__lte=adoption_count,
    )


def feed_queryset(member, organization_id, filters: FeedFilters, *, cursor=None, now=None):
    """The feed's rows after ``cursor`` (boosted ones excluded), ordered; None if the filters
    match nothing. Separate for the EXPLAIN test and the benchmark."""
    order = filters.order if filters.order in ORDERS else "newest"
    queryset = _published_for(member, organization_id, filters)
    if queryset is None:
        return None
    return _unboosted_after(queryset, order, cursor, now or timezone.now())


def _unboosted_after(published, order: str, cursor: str | None, now):
    queryset = published.filter(Q(boosted_until__isnull=True) | Q(boosted_until__lte=now))
    if cursor:
        queryset = _after_cursor(queryset, order, cursor)
    return queryset.order_by(*ORDERS[order])


def _sort_key(order: str):
    if order == "adopted":
        return lambda p: (p.adoption_count, p.published_at, p.pk)
    return lambda p: (p.published_at, p.pk)


def feed_page(
    member, *, filters: FeedFilters, cursor: str | None = None, page_size: int = 20, request=None
) -> FeedPage:
    """Published practices of the member's organization that target them (no target, or
    their country / job type). Currently boosted ones come first on the first page; then
    newest or most adopted, with a cursor. A constant number of queries whatever the page
    size. Records a LIST of the ids shown. A forged cursor raises BadCursor."""
    organization_id = _organization_id(member)
    order = filters.order if filters.order in ORDERS else "newest"
    size = _page_size(page_size)
    now = timezone.now()
    with tenant_context(organization_id):
        published = _published_for(member, organization_id, filters)
        if published is None:
            if cursor:
                cursors.decode(f"feed-{order}", cursor, length=3 if order == "adopted" else 2)
            return FeedPage(items=[], next_cursor=None)
        page = for_lists(_unboosted_after(published, order, cursor, now))[: size + 1]
        boosted: list[Practice] = []
        if cursor:
            rows = list(page)
        else:
            boosted_page = for_lists(published.filter(boosted_until__gt=now)).order_by(
                "-published_at", "-id"
            )[:MAX_BOOSTED]
            if connection.features.supports_slicing_ordering_in_compound:
                # PostgreSQL: the boosted ones and the page in one statement (UNION ALL of the
                # two index scans), told apart again by the same ``now``.
                rows = []
                for practice in boosted_page.union(page, all=True):
                    if practice.boosted_until is not None and practice.boosted_until > now:
                        boosted.append(practice)
                    else:
                        rows.append(practice)
                boosted.sort(key=_sort_key("newest"), reverse=True)
                rows.sort(key=_sort_key(order), reverse=True)
            else:  # SQLite cannot slice the parts of a UNION
                boosted = list(boosted_page)
                rows = list(page)
        items, more = rows[:size], len(rows) > size
        _decorate(member, boosted + items)
        shown = [p.pk for p in boosted + items]
        if shown:
            _record(AuditAction.LIST, member, "practice", shown, request, list="feed", order=order)
    return FeedPage(
        items=items,
        next_cursor=_feed_cursor(order, items[-1]) if more else None,
        boosted=boosted,
    )


# --- Search ------------------------------------------------------------------------------------

_START, _STOP = "\ue000", "\ue001"  # private-use characters: markers no text holds
# Our markers, and control characters (PostgreSQL text cannot hold NUL), are not words.
_NOT_WORDS = re.compile(f"[{_START}{_STOP}\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _search_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    (offset,) = cursors.decode("search", cursor, length=1)
    if (
        not isinstance(offset, int)
        or isinstance(offset, bool)
        or not 0 < offset <= MAX_SEARCH_OFFSET
    ):
        raise BadCursor("bad cursor")
    return offset


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
    operators and quotes are taken as words. Records a SEARCH of the ids shown (never the
    words searched). The cursor is a signed offset (at most 1,000 results deep)."""
    from . import search as fts

    organization_id = _organization_id(member)
    size = _page_size(page_size)
    offset = _search_offset(cursor)
    text = " ".join(_NOT_WORDS.sub(" ", str(query or "")).split())[:MAX_QUERY_LENGTH]
    with tenant_context(organization_id):
        base = _published_for(member, organization_id, filters)
        if base is None or not text.strip():
            return SearchPage(items=[], next_cursor=None)
        if fts.is_postgres():
            rows = fts.ranked_page(base, text, offset=offset, limit=size + 1)
        else:
            rows = _contains_page(base, text, offset=offset, limit=size + 1)
        items, more = rows[:size], len(rows) > size
        _decorate(member, items)
        if items:
            _record(
                AuditAction.SEARCH,
                member,
                "practice",
                [p.pk for p in items],
                request,
                list="search",
            )
    next_offset = offset + size
    return SearchPage(
        items=items,
        next_cursor=cursors.encode("search", [next_offset])
        if more and next_offset <= MAX_SEARCH_OFFSET
        else None,
    )


def _contains_page(base, text: str, *, offset: int, limit: int) -> list[Practice]:
    """SQLite: every word in the title, body or a tag (case-insensitive), newest first."""
    queryset = base
    words = text.split()[:10]
    for word in words:
        queryset = queryset.filter(
            Q(title__icontains=word)
            | Q(body__icontains=word)
            | Exists(
                PracticeTag.objects.filter(practice_id=OuterRef("pk"), tag__name__icontains=word)
            )
        )
    rows = list(for_lists(queryset).order_by("-published_at", "-id")[offset : offset + limit])
    for practice in rows:
        practice.rank = 0.0
        practice.snippet = plain_snippet(f"{practice.title} — {practice.body}", words)
    return rows


def plain_snippet(text: str, words: list[str], *, width: int = 160) -> str:
    """An escaped excerpt around the first match, the matches in <mark>."""
    lowered = text.lower()
    positions = [lowered.find(w.lower()) for w in words if w and lowered.find(w.lower()) >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    excerpt = text[start : start + width]
    pattern = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True) if w)
    pieces, last = [], 0
    if pattern:
        for match in re.finditer(pattern, excerpt, flags=re.IGNORECASE):
            pieces.append(html.escape(excerpt[last : match.start()]))
            pieces.append(f"<mark>{html.escape(match.group(0))}</mark>")
            last = match.end()
    pieces.append(html.escape(excerpt[last:]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + width < len(text) else ""
    return prefix + "".join(pieces) + suffix


def highlighted_snippet(headline: str) -> str:
    """ts_headline's output (plain text with our markers) as safe HTML: everything escaped,
    then the markers turned into <mark>, unbalanced ones dropped."""
    out, open_mark = [], False
    for piece in re.split(f"([{_START}{_STOP}])", headline or ""):
        if piece == _START:
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif piece == _STOP:
            if open_mark:
                out.append("</mark>")
                open_mark = False
        else:
            out.append(html.escape(piece))
    if open_mark:
        out.append("</mark>")
    return "".join(out)


# --- Comments ----------------------------------------------------------------------------------


def comments_for(member, practice: Practice, *, request=None) -> list[Comment]:
    """Top-level comments, oldest first, each with ``replies`` prefetched (oldest first) and
    ``body_html`` (rendered, sanitised). The practice must be one the member may open (404
    otherwise). Records a LIST of the comments shown (their authors are people)."""
    organization_id = _organization_id(member)
    with tenant_context(organization_id):
        if not _visible(member, organization_id).filter(pk=getattr(practice, "pk", None)).exists():
            raise Http404
        comments = list(
            Comment.objects.filter(practice_id=practice.pk, parent__isnull=True)
            .select_related("author")
            .prefetch_related(
                Prefetch(
                    "replies",
                    queryset=Comment.objects.select_related("author").order_by("created_at"),
                )
            )
            .order_by("created_at")
        )
        shown = []
        for comment in comments:
            comment.body_html = comment_html(comment)
            shown.append(comment.pk)
            replies = list(comment.replies.all())
            comment.prefetched_replies = replies
            for reply in replies:
                reply.body_html = comment_html(reply)
                shown.append(reply.pk)
        if shown:
            _record(AuditAction.LIST, member, "comment", shown, request, practice=str(practice.pk))
    return comments


def comment_for_member(member, comment_id) -> Comment:
    """A comment on a practice the member may open (for replying or deleting). 404 else."""
    organization_id = _organization_id(member)
    comment_uuid = _as_uuid(comment_id)
    if comment_uuid is None:
        raise Http404
    with tenant_context(organization_id):
        comment = (
            Comment.objects.filter(
                organization_id=organization_id,
                pk=comment_uuid,
                practice__in=_visible(member, organization_id),
            )
            .select_related("practice", "author")
            .first()
        )
        if comment is None:
            raise Http404
        comment.body_html = comment_html(comment)
    return comment


# --- The member's own lists --------------------------------------------------------------------


def my_practices(member, *, status: str | None = None) -> list[Practice]:
    """The member's own practices (drafts, pending, published, archived), newest first
    (by last change). An unknown status gives nothing."""
    organization_id = _organization_id(member)
    with tenant_context(organization_id):
        queryset = Practice.objects.filter(organization_id=organization_id, author_id=member.pk)
        if status:
            if status not in PracticeStatus.values:
                return []
            queryset = queryset.filter(status=status)
        practices = list(queryset.select_related("author", "topic").order_by("-updated_at", "-id"))
        return _decorate(member, practices)


def bookmarks_page(member, *, cursor: str | None = None, page_size: int = 20, request=None):
    """The practices the member bookmarked, newest bookmark first (a FeedPage), among those
    they may still open. Records a LIST."""
    organization_id = _organization_id(member)
    size = _page_size(page_size)
    with tenant_context(organization_id):
        marks = Reaction.objects.filter(
            organization_id=organization_id,
            user_id=member.pk,
            kind=ReactionKind.BOOKMARK,
            practice__in=_visible(member, organization_id),
        )
        if cursor:
            created_iso, mark_id = cursors.decode("bookmarks", cursor, length=2)
            created_at = parse_datetime(created_iso) if isinstance(created_iso, str) else None
            if created_at is None or not isinstance(mark_id, int) or isinstance(mark_id, bool):
                raise BadCursor("bad cursor")
            marks = marks.filter(
                Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=mark_id),
                created_at__lte=created_at,
            )
        rows = list(
            marks.select_related("practice", "practice__author", "practice__topic").order_by(
                "-created_at", "-id"
            )[: size + 1]
        )
        page, more = rows[:size], len(rows) > size
        items = _decorate(member, [mark.practice for mark in page])
        if items:
            _record(
                AuditAction.LIST,
                member,
                "practice",
                [p.pk for p in items],
                request,
                list="bookmarks",
            )
    next_cursor = None
    if more:
        last = page[-1]
        next_cursor = cursors.encode("bookmarks", [last.created_at.isoformat(), last.pk])
    return FeedPage(items=items, next_cursor=next_cursor)


def moderation_queue(manager, *, request=None) -> list[Practice]:
    """Pending practices of the manager's organization, oldest first (Capability.CONTENT_CURATE;
    a logged 404 for anyone else). Records a LIST."""
    organization_id = _organization_id(manager)
    with tenant_context(organization_id):
        authorize(
            user=manager,
            organization=manager.organization,
            capability=Capability.CONTENT_CURATE,
            request=request,
        )
        practices = list(
            Practice.objects.filter(organization_id=organization_id, status=PracticeStatus.PENDING)
            .select_related("author", "topic")
            .order_by("updated_at", "id")
        )
        _decorate(manager, practices)
        if practices:
            _record(
                AuditAction.LIST,
                manager,
                "practice",
                [p.pk for p in practices],
                request,
                list="moderation",
            )
    return practices


# --- People ------------------------------------------------------------------------------------


def member_profile(member, user_id, *, request=None) -> MemberProfile:
    """Another member of the same organization (name, country, job type, their published
    practices). Records a VIEW. 404 for anyone else (another organization's, staff, a
    deactivated member, an id that does not parse)."""
    organization_id = _organization_id(member)
    user_uuid = _as_uuid(user_id)
    if user_uuid is None:
        raise Http404
    with tenant_context(organization_id):
        person = (
            User.objects.filter(
                organization_id=organization_id, pk=user_uuid, is_active=True, staff_role=""
            )
            .select_related("job_type")
            .first()
        )
        if person is None:
            raise Http404
        practices = list(
            Practice.objects.filter(
                organization_id=organization_id,
                author_id=person.pk,
                status=PracticeStatus.PUBLISHED,
            )
            .select_related("author", "topic")
            .order_by("-published_at", "-id")[:50]
        )
        _decorate(member, practices)
        record_event(
            action=AuditAction.VIEW,
            actor=member,
            organization=organization_id,
            object_type="user",
            object_ids=[person.pk],
            subject_user=person,
            request=request,
            read=True,
        )
    return MemberProfile(user=person, practices=practices)


def members_page(member, *, query: str = "", cursor: str | None = None, request=None):
    """The organization's active members, by name (last, first, id), 30 a page; ``query``
    matches first or last name (contains, case-insensitive). Records a LIST."""
    organization_id = _organization_id(member)
    with tenant_context(organization_id):
        people = User.objects.filter(
            organization_id=organization_id, is_active=True, staff_role=""
        ).select_related("job_type")
        words = str(query or "").split()[:5]
        for word in words:
            word = word[:50]
            people = people.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
        if cursor:
            last_name, first_name, person_id = cursors.decode("members", cursor, length=3)
            person_uuid = _as_uuid(person_id)
            if not isinstance(last_name, str) or not isinstance(first_name, str) or not person_uuid:
                raise BadCursor("bad cursor")
            people = people.filter(
                Q(last_name__gt=last_name)
                | Q(last_name=last_name, first_name__gt=first_name)
                | Q(last_name=last_name, first_name=first_name, id__gt=person_uuid)
            )
        rows = list(people.order_by("last_name", "first_name", "id")[: MEMBERS_PAGE_SIZE + 1])
        items, more = rows[:MEMBERS_PAGE_SIZE], len(rows) > MEMBERS_PAGE_SIZE
        if items:
            _record(
                AuditAction.LIST, member, "user", [u.pk for u in items], request, list="members"
            )
    next_cursor = None
    if more:
        last = items[-1]
        next_cursor = cursors.encode("members", [last.last_name, last.first_name, str(last.pk)])
    return MembersPage(items=items, next_cursor=next_cursor)
