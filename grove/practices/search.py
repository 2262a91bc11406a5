"""PostgreSQL full-text search: the practice's search vector, the query, ranked snippets.

The configurations ``grove_fr`` and ``grove_en`` (migration 0002) pass words through
``unaccent`` then the French or English stemmer, so "securite" finds "sécurité" and "café"
finds "cafe". A practice is indexed with its own language's configuration: title (weight A),
tags (B), body (C). A query is read with both configurations (``websearch_to_tsquery``, which
never raises whatever the operators and quotes) and the two are OR-ed: a French reader finds
English practices and the other way round.

On SQLite (development, part of the tests) ``queries.search_page`` falls back to a
case-insensitive contains; everything here is a no-op there.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

# The vector, computed in the database from the row itself and its tags.
_VECTOR_SQL = """
UPDATE practices_practice AS p SET search_vector =
    setweight(to_tsvector(c.cfg, coalesce(p.title, '')), 'A')
    || setweight(to_tsvector(c.cfg, coalesce((
        SELECT string_agg(t.name, ' ' ORDER BY t.name)
        FROM practices_practicetag pt JOIN practices_tag t ON t.id = pt.tag_id
        WHERE pt.practice_id = p.id), '')), 'B')
    || setweight(to_tsvector(c.cfg, coalesce(p.body, '')), 'C')
FROM (SELECT CASE WHEN %s = 'fr' THEN 'grove_fr' ELSE 'grove_en' END::regconfig AS cfg) AS c
WHERE p.id = %s
"""

_VECTORS_SQL = """
UPDATE practices_practice AS p SET search_vector =
    setweight(to_tsvector(
        (CASE WHEN p.language = 'fr' THEN 'grove_fr' ELSE 'grove_en' END)::regconfig,
        coalesce(p.title, '')), 'A')
    || setweight(to_tsvector(
        (CASE WHEN p.language = 'fr' THEN 'grove_fr' ELSE 'grove_en' END)::regconfig,
        coalesce((SELECT string_agg(t.name, ' ' ORDER BY t.name)
            FROM practices_practicetag pt JOIN practices_tag t ON t.id = pt.tag_id
            WHERE pt.practice_id = p.id), '')), 'B')
    || setweight(to_tsvector(
        (CASE WHEN p.language = 'fr' THEN 'grove_fr' ELSE 'grove_en' END)::regconfig,
        coalesce(p.body, '')), 'C')
WHERE p.id = ANY(%s)
"""


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def update_search_vector(practice) -> None:
    """Recompute one practice's search vector (after its title, body, language or tags
    changed), in the caller's transaction and tenant scope. No-op outside PostgreSQL."""
    if not is_postgres():
        return
    with connection.cursor() as cursor:
        cursor.execute(_VECTOR_SQL, [practice.language, practice.pk])


def update_search_vectors(practice_ids: Iterable) -> None:
    """The same for many practices in one statement (seeding, benchmarks, repairs)."""
    if not is_postgres():
        return
    ids = [getattr(p, "pk", p) for p in practice_ids]
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(_VECTORS_SQL, [ids])


def search_query(text: str):
    """The words read with both configurations, OR-ed (websearch syntax: never an error)."""
    from django.contrib.postgres.search import SearchQuery

    return SearchQuery(text, search_type="websearch", config="grove_fr") | SearchQuery(
        text, search_type="websearch", config="grove_en"
    )


# How many matches are ranked: the newest ones. Every page a cursor can reach (offset at most
# 1,000, pages of at most 100) is cut from the same candidates, so pages neither repeat nor skip.
RANKED_CANDIDATES = 1_101


def ranked_page(base, text: str, *, offset: int, limit: int) -> list:
    """One page of ``base`` (a queryset of practices) matching ``text``, best first, each with
    ``rank`` and ``snippet`` (safe HTML). Two queries: the ranked ids, then the rows of the page
    with their headlines (ts_headline only for what is shown).

    Only the newest ``RANKED_CANDIDATES`` matches are ranked (cover density, title above tags
    above body), then ordered by rank: a common word matches tens of thousands of practices,
    and ranking them all read every one of them for each request (100 ms for 20,000 matches
    where the bounded set takes 25). Older matches beyond that count are not found; a more
    precise query finds them."""
    from django.contrib.postgres.search import SearchHeadline
    from django.db.models import Case, F, TextField, Value, When
    from django.db.models.functions import Concat

    from .models import Practice
    from .queries import _START, _STOP, for_lists, highlighted_snippet

    query = search_query(text)
    candidates = (
        base.filter(search_vector=query)
        .order_by("-published_at", "-id")
        .values("id", "published_at", "search_vector")[:RANKED_CANDIDATES]
    )
    candidates_sql, candidates_params = candidates.query.sql_with_params()
    compiler = candidates.query.get_compiler(connection=connection)
    query_sql, query_params = compiler.compile(query.resolve_expression(candidates.query))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.id, ts_rank_cd(c.search_vector, {query_sql}) AS rank "  # noqa: S608 -- the ORM's SQL
            f"FROM ({candidates_sql}) AS c "
            "ORDER BY rank DESC, c.published_at DESC, c.id DESC LIMIT %s OFFSET %s",
            [*query_params, *candidates_params, limit, offset],
        )
        ranked = cursor.fetchall()
    if not ranked:
        return []
    config = Case(When(language="fr", then=Value("grove_fr")), default=Value("grove_en"))
    rows = {
        practice.pk: practice
        for practice in for_lists(
            Practice.objects.filter(pk__in=[pk for pk, _rank in ranked])
        ).annotate(
            headline=SearchHeadline(
                Concat(F("title"), Value(" — "), F("body"), output_field=TextField()),
                query,
                config=config,
                start_sel=_START,
                stop_sel=_STOP,
                max_words=35,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            )
        )
    }
    page = []
    for pk, rank in ranked:
        practice = rows.get(pk)
        if practice is None:
            continue
        practice.rank = rank
        practice.snippet = highlighted_snippet(practice.headline)
        page.append(practice)
    return page
