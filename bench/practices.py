"""The practices feed and search under load: ``python -m bench --only practices``.

Needs PostgreSQL, gunicorn and wrk. ``BENCH_DATABASE_URL`` must name a superuser: the database
is dropped and created fresh, migrated, then filled (as the superuser, with COPY) with 50
organizations, one of them big: 100,000 practices, 1,000,000 reactions and 10,000 members
(the other 49: 2,000 practices, 20,000 reactions, 200 members each). ``BENCH_SCALE=small``
divides every figure by ten (under 5 minutes in all). The practices are written from the demo's
texts (grove/practices/demo_content.py: French and English, Markdown with lists and bold)
recombined, with 1-4 tags each, a few targeted at a country or job types, a few boosted and
highlighted, dates over two years; the reactions go mostly to a few popular practices; the
counters are the reactions' counts; the search vectors are filled by the application's own
statement (``grove.practices.search.update_search_vectors``); then VACUUM ANALYZE.

Served by two gunicorn servers of the benchmark's WSGI application (bench/wsgi.py: Grove's
URLs and bench/urls.py's trivial view), 2 sync workers each, DEBUG off, persistent connections:
``rls_on`` connects as the application role (NOBYPASSRLS, the production set-up: RLS applies,
the tenant handed over with set_config), ``rls_off`` as the superuser, without the set_config
wrapper (the ORM's tenant filter is the only wall). Loaded with ``wrk -t2 -c4 --latency`` and a
Lua script rotating eight logged-in members of the big organization (sessions written to the
session table) and, for search, eight common words. Measures, each ``--duration`` seconds:

``trivial``        GET /bench/trivial: every middleware, no session cookie, no query;
``bare_anonymous`` GET /bench/practices/bare-anonymous: one indexed 20-row SELECT of practices
                   as plain values, no session, no user: the issue's own reference view
                   ("0.32-0.40x the trivial view"), to check that premise here (no target);
``bare_select``    GET /bench/practices/bare: the session, the user, then the same SELECT;
``bare_logged``    GET /bench/practices/bare-logged: ``bare_select`` plus the access-log append
                   of the 20 rows shown, outside a request transaction as the API's reads: the
                   least a logged-in, logged feed read does here (no target; the floor the feed
                   API's 0.25x is compared with);
``feed_api``       GET /api/practices: the JSON feed, first page (boosted + 20), newest first;
``feed_html``      GET /practices/: the HTML feed page;
``search_api``     GET /api/practices/search?q=<word>: the JSON search (ranked, snippets);
``feed_api_rls_off`` the feed API on the ``rls_off`` server.

Before any timing every endpoint must answer 200 with real content (20 practices, the feed
page showing them, search hits); a redirect to the login page or an error aborts the run.
Rounds (``--rounds``, default 3) run every measure in a shuffled order; each figure is the
median over the rounds of requests per second and of p50/p99 latency, and each ratio the
median of the per-round ratios. In-process, the same requests are counted (queries per
request, at page sizes 5 and 50 too) and the slowest statement of each is EXPLAIN ANALYZEd as
the application role (RLS on), for the JSON file. Results in var/bench/practices.json.
``--keep`` keeps the database; ``--reuse`` serves the database a ``--keep`` run left;
``--no-jit`` also turns PostgreSQL's JIT compilation off for the database (ALTER DATABASE ... SET
jit = off; the application's own connections have it off already, ``-c jit=off`` in the
settings): a ranked search over thousands of matches has a planner cost above ``jit_above_cost`` and
spends more time compiling than running (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import html
import json
import os
import pstats
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from .common import (
    BenchAborted,
    WrkFailed,
    configure_environment,
    create_app_role,
    database_label,
    database_url,
    drop_database,
    environment,
    login_session,
    report,
    run_wrk,
    scale,
    seed,
    setup_django,
)

RESULT_PATH = Path("var/bench/practices.json")
ROOT = Path(__file__).resolve().parent.parent
MEASURES = (
    "trivial", "bare_anonymous", "bare_select", "bare_logged", "feed_api", "feed_html",
    "search_api", "feed_api_rls_off",
)  # fmt: skip
SEARCH_WORDS = ["client", "caisse", "rayon", "équipe", "customer", "shelf", "team", "safety"]
TARGETS = {
    "practices_feed_api_vs_trivial": 0.25,
    "practices_feed_html_vs_trivial": 0.10,
    "practices_search_vs_trivial": 0.15,
    "practices_search_p99_vs_feed_api_p99": 3.0,
    "practices_feed_rls_on_vs_off": 0.85,
}
PRACTICE_COLUMNS = [
    "id", "organization_id", "author_id", "topic_id", "title", "body", "body_html", "language",
    "status", "target_countries", "created_at", "updated_at", "published_at", "boosted_until",
    "highlighted_at", "adoption_count", "useful_count", "comment_count", "view_count",
]  # fmt: skip
FULL = {
    "organizations": 50,
    "big_practices": 100_000,
    "big_reactions": 1_000_000,
    "big_members": 10_000,
    "practices": 2_000,
    "reactions": 20_000,
    "members": 200,
}


def sizes() -> dict[str, int]:
    if scale() == "small":
        return {k: (v if k == "organizations" else v // 10) for k, v in FULL.items()}
    return dict(FULL)


def parse_args(argv):
    small = scale() == "small"
    parser = argparse.ArgumentParser(
        prog="python -m bench --only practices", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5 if small else 10, help="s per measure")
    parser.add_argument("--warmup", type=int, default=2, help="s of untimed load per measure")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--members", type=int, default=8, help="logged-in members rotated")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8471")))
    parser.add_argument("--app-role", default=os.environ.get("BENCH_APP_ROLE", "grove_bench_app"))
    parser.add_argument("--output", type=Path, default=RESULT_PATH)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="serve a database --keep left")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--no-jit",
        action="store_true",
        help="serve with jit = off (ALTER DATABASE ... SET jit = off), to compare",
    )
    return parser.parse_known_args(argv)[0]


# --- The data set ---------------------------------------------------------------------------


class Texts:
    """Practice texts recombined from the demo's: a title, an intro, 3-4 steps from any idea of
    the language, a result; Markdown and the HTML the renderer would make of it."""

    def __init__(self):
        from grove.practices.demo_content import IDEAS, INTROS, LEADS, RESULT_LABEL

        self.intros, self.leads, self.label = INTROS, LEADS, RESULT_LABEL
        self.versions = {"fr": [], "en": []}
        for ideas in IDEAS.values():
            for idea in ideas:
                self.versions["fr"].append(idea.fr)
                self.versions["en"].append(idea.en)
        self.steps = {lang: [s for v in vs for s in v.steps] for lang, vs in self.versions.items()}
        self.tags = sorted({t for vs in self.versions.values() for v in vs for t in v.tags})

    @staticmethod
    def _inline(text: str) -> str:
        return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(text, quote=False))

    def practice(self, rng: random.Random, language: str) -> tuple[str, str, str, list[str]]:
        version = rng.choice(self.versions[language])
        steps = rng.sample(self.steps[language], rng.randint(3, 4))
        steps[0] = rng.choice(version.steps)
        intro, lead = rng.choice(self.intros[language]), rng.choice(self.leads[language])
        result = version.result[0].upper() + version.result[1:]
        label = self.label[language]
        body = (
            f"{intro}\n\n**{lead}**\n\n"
            + "\n".join(f"- {s}" for s in steps)
            + f"\n\n**{label}** {result}\n"
        )
        body_html = (
            f"<p>{self._inline(intro)}</p>\n<p><strong>{html.escape(lead)}</strong></p>\n<ul>\n"
            + "".join(f"<li>{self._inline(s)}</li>\n" for s in steps)
            + f"</ul>\n<p><strong>{html.escape(label)}</strong> {self._inline(result)}</p>"
        )
        return version.title, body, body_html, list(version.tags)


def _copy(conn, table: str, columns: list[str], rows) -> int:
    count = 0
    with (
        conn.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _plain_indexes(conn, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, definition) of the indexes that back no constraint: dropped during the load."""
    return conn.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        [list(tables)],
    ).fetchall()


def generate(url: str, people_by_org: dict, size: dict, seed_value: int) -> dict:
    """Topics, tags, practices (with targets), reactions with COPY as the superuser; counters
    from the reactions; search vectors by the application's statement. Returns figures."""
    import psycopg

    from grove.practices.demo_content import TOPICS

    rng = random.Random(seed_value)
    texts = Texts()
    now = datetime.datetime.now(datetime.UTC)
    started = time.perf_counter()
    figures = {"practices": 0, "reactions": 0, "tags": 0, "targets": 0}
    tables = ("practices_practice", "practices_reaction", "practices_practicetag")
    with psycopg.connect(url) as conn:  # the superuser: RLS does not apply
        # Consistent by construction: no foreign-key triggers during the load (superuser only).
        conn.execute("SET session_replication_role = replica")
        indexes = _plain_indexes(conn, tables)
        for name, _definition in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        jobs_by_org: dict[str, list[str]] = {}
        for org_id, job_id in conn.execute(
            "SELECT organization_id, id FROM tenancy_jobtype ORDER BY name"
        ):
            jobs_by_org.setdefault(str(org_id), []).append(str(job_id))
        for number, (org_id, people) in enumerate(people_by_org.items()):
            big = number == 0
            n_practices = size["big_practices"] if big else size["practices"]
            n_reactions = size["big_reactions"] if big else size["reactions"]
            topics = [(str(uuid.UUID(int=rng.getrandbits(128), version=4)), t) for t in TOPICS]
            _copy(
                conn,
                "practices_topic",
                ["id", "organization_id", "name", "created_at"],
                ((tid, org_id, name, now) for tid, name in topics),
            )
            tag_ids = {t: str(uuid.UUID(int=rng.getrandbits(128), version=4)) for t in texts.tags}
            _copy(
                conn,
                "practices_tag",
                ["id", "organization_id", "name"],
                ((tid, org_id, name) for name, tid in tag_ids.items()),
            )
            # Statuses and reactions first (in memory): the counters are the reactions' counts,
            # and only published practices have reactions.
            statuses = rng.choices(
                ("published", "draft", "pending", "archived"), (96, 2, 1, 1), k=n_practices
            )
            popular = [i for i in range(n_practices) if statuses[i] == "published"]
            rng.shuffle(popular)
            members = len(people)
            reactions: set[int] = set()
            while len(reactions) < n_reactions:
                practice = popular[int(len(popular) * rng.random() ** 2.5)]
                draw = rng.random()
                kind = 0 if draw < 0.5 else 1 if draw < 0.83 else 2
                reactions.add((practice * members + rng.randrange(members)) * 3 + kind)
            adopted = [0] * n_practices
            useful = [0] * n_practices
            for code in reactions:
                if code % 3 == 1:
                    adopted[code // 3 // members] += 1
                elif code % 3 == 0:
                    useful[code // 3 // members] += 1
            practice_ids, published_at, rows, tag_rows, target_rows = [], [], [], [], []
            jobs = jobs_by_org[org_id]
            for index in range(n_practices):
                pid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                practice_ids.append(pid)
                language = "fr" if rng.random() < 0.5 else "en"
                title, body, body_html, tags = texts.practice(rng, language)
                status = statuses[index]
                at = now - datetime.timedelta(seconds=rng.randrange(730 * 86400))
                published_at.append(at)
                boosted = now + datetime.timedelta(days=7) if big and index < 3 else None
                highlighted = at if rng.random() < 0.005 else None
                countries = rng.choice(("DE", "ES,IT", "GB")) if rng.random() < 0.03 else ""
                rows.append(
                    (
                        pid, org_id, people[rng.randrange(members)], topics[index % 8][0], title,
                        body, body_html, language, status, countries, at, at,
                        at if status in ("published", "archived") else None,
                        boosted if status == "published" else None, highlighted,
                        adopted[index], useful[index], 0, adopted[index] * 5 + rng.randrange(40),
                    )
                )  # fmt: skip
                for tag in set(tags[: rng.randint(0, len(tags))] + rng.sample(texts.tags, 1)):
                    tag_rows.append((org_id, pid, tag_ids[tag], at))
                if rng.random() < 0.05:
                    for job in rng.sample(jobs, rng.randint(1, 2)):
                        target_rows.append((org_id, pid, job, at))
            figures["practices"] += _copy(
                conn,
                "practices_practice",
                PRACTICE_COLUMNS,
                rows,
            )
            figures["tags"] += _copy(
                conn,
                "practices_practicetag",
                ["organization_id", "practice_id", "tag_id", "created_at"],
                tag_rows,
            )
            figures["targets"] += _copy(
                conn,
                "practices_practicejobtypetarget",
                ["organization_id", "practice_id", "job_type_id", "created_at"],
                target_rows,
            )
            figures["reactions"] += _copy(
                conn,
                "practices_reaction",
                ["organization_id", "practice_id", "user_id", "kind", "created_at"],
                (
                    (
                        org_id,
                        practice_ids[code // 3 // members],
                        people[(code // 3) % members],
                        ("useful", "adopted", "bookmark")[code % 3],
                        published_at[code // 3 // members] + datetime.timedelta(hours=1),
                    )
                    for code in reactions
                ),
            )
            conn.commit()
            if big or number % 10 == 9:
                print(
                    f"  organization {number + 1}/{len(people_by_org)}: {figures['practices']:,} "
                    f"practices, {figures['reactions']:,} reactions "
                    f"({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
        for _name, definition in indexes:
            conn.execute(definition)
        conn.commit()
    figures["load_seconds"] = round(time.perf_counter() - started, 1)
    figures["search_vector_seconds"] = index_for_search()
    vacuum = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (FULL, ANALYZE) practices_practice")
        conn.execute("VACUUM (ANALYZE)")
    figures["vacuum_seconds"] = round(time.perf_counter() - vacuum, 1)
    return figures


def index_for_search() -> float:
    """Every practice's search vector, by the statement the actions use, 10,000 at a time."""
    from django.db import connection, transaction

    from grove.practices.models import Practice
    from grove.practices.search import update_search_vectors
    from grove.tenancy.context import unscoped

    started = time.perf_counter()
    with unscoped("bench: index every organization's practices"):
        ids = list(Practice.objects.order_by("pk").values_list("pk", flat=True))
        for first in range(0, len(ids), 10_000):
            with transaction.atomic():
                update_search_vectors(ids[first : first + 10_000])
    connection.close()
    seconds = time.perf_counter() - started
    print(f"  search vectors of {len(ids):,} practices: {seconds:.0f} s", flush=True)
    return round(seconds, 1)


def member_sessions(organization_id: str, count: int) -> list[str]:
    """Logged-in sessions of ``count`` members (not the manager) of the big organization."""
    from grove.accounts.models import OrgRole, User
    from grove.tenancy.context import unscoped

    with unscoped("bench: log members in"):
        members = list(
            User.objects.filter(organization_id=organization_id, org_role=OrgRole.MEMBER).order_by(
                "email"
            )[: count * 50 : 50]
        )
        return [login_session(member) for member in members]


# --- Serving and loading --------------------------------------------------------------------


class Server:
    """One gunicorn of bench.wsgi, as ``user`` (the app role or the superuser)."""

    def __init__(self, url: str, user: str, port: int, workers: int, wrapper: bool):
        parts = urlsplit(url)
        netloc = f"{user}@{parts.hostname}:{parts.port or 5432}"
        env = {
            **os.environ,
            "DATABASE_URL": urlunsplit(parts._replace(netloc=netloc)),
            "DJANGO_SETTINGS_MODULE": "grove.settings",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "SECURE_SSL_REDIRECT": "1",  # as in production: wrk says X-Forwarded-Proto: https
            "BENCH_RLS_WRAPPER": "1" if wrapper else "0",
        }
        env.pop("GROVE_DB_APP_ROLE", None)
        self.port = port
        self.user = user
        self.base = f"http://127.0.0.1:{port}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by stop()
        self.process = subprocess.Popen(  # noqa: S603 -- our own gunicorn, fixed arguments
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "bench.wsgi:application",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.get("/bench/trivial")
                return
            except (urllib.error.URLError, ConnectionError):
                if self.process.poll() is not None:
                    break
                time.sleep(0.5)
        output = self.output()
        self.stop()
        raise BenchAborted(f"gunicorn on port {port} did not start:\n{output}")

    def get(self, path: str, session: str | None = None) -> tuple[int, str, bytes]:
        headers = {"X-Forwarded-Proto": "https"}
        if session:
            headers["Cookie"] = f"sessionid={session}"
        request = urllib.request.Request(self.base + path, headers=headers)  # noqa: S310
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), error.read()

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect (to the login page) is an answer to check, not to follow


def check_endpoints(servers: dict, sessions: list[str], organization_id: str) -> dict:
    """Every endpoint answers 200 with real content for every member, or the run stops."""
    on, off = servers["rls_on"], servers["rls_off"]

    def ok(server, path, session, kind):
        status, content_type, body = server.get(path, session)
        if status != 200 or kind not in content_type:
            raise BenchAborted(
                f"{server.user} GET {path}: {status} {content_type} {body[:300]!r} — not measured"
            )
        return body

    assert ok(on, "/bench/trivial", None, "text/plain") == b"ok"
    for path, session in (
        (bare_anonymous_path(organization_id), None),
        ("/bench/practices/bare", sessions[0]),
        ("/bench/practices/bare-logged", sessions[0]),
    ):
        bare = json.loads(ok(on, path, session, "json"))
        if len(bare["items"]) != 20:
            raise BenchAborted(f"{path} gave {len(bare['items'])} practices, not 20")
    shown = {}
    for session in sessions:
        for server in (off, on):
            feed = json.loads(ok(server, "/api/practices", session, "json"))
            if len(feed["items"]) != 20:
                raise BenchAborted(f"the feed API gave {len(feed['items'])} practices, not 20")
        page = ok(on, "/practices/", session, "html").decode()
        titles = [html.escape(item["title"], quote=True) for item in feed["items"]]
        found = sum(title in page for title in titles)
        if found < 10:
            raise BenchAborted(f"the feed page shows {found} of the feed API's 20 titles")
        shown[session[:6]] = len(feed["items"]) + len(feed["boosted"])
    hits = {}
    for word in SEARCH_WORDS:
        found = json.loads(ok(on, f"/api/practices/search?q={quote(word)}", sessions[0], "json"))
        if not found["items"]:
            raise BenchAborted(f"search for {word!r} found nothing")
        hits[word] = len(found["items"])
    return {"feed_items_shown": shown, "search_first_page_hits": hits}


def wrk(server: Server, paths: list[str], cookies: list[str], args, seconds: int) -> dict:
    try:
        result = run_wrk(
            server.base,
            paths,
            cookies,
            threads=args.threads,
            connections=args.connections,
            seconds=seconds,
        )
    except WrkFailed as error:
        raise BenchAborted(f"{error} — not measured\n{server.output()}") from None
    return {
        "req_per_s": result["req_per_s"],
        "p50_ms": result["latency_ms"][50.0],
        "p99_ms": result["latency_ms"][99.0],
        "requests": result["requests"],
    }


def bare_anonymous_path(organization_id: str) -> str:
    return f"/bench/practices/bare-anonymous?organization={organization_id}"


def load_plan(servers: dict, sessions: list[str], organization_id: str) -> dict:
    """What each measure requests: (server, paths, cookies)."""
    search = [f"/api/practices/search?q={quote(w)}" for w in SEARCH_WORDS]
    return {
        "trivial": (servers["rls_on"], ["/bench/trivial"], []),
        "bare_anonymous": (servers["rls_on"], [bare_anonymous_path(organization_id)], []),
        "bare_select": (servers["rls_on"], ["/bench/practices/bare"], sessions),
        "bare_logged": (servers["rls_on"], ["/bench/practices/bare-logged"], sessions),
        "feed_api": (servers["rls_on"], ["/api/practices"], sessions),
        "feed_html": (servers["rls_on"], ["/practices/"], sessions),
        "search_api": (servers["rls_on"], search, sessions),
        "feed_api_rls_off": (servers["rls_off"], ["/api/practices"], sessions),
    }


# --- In-process: queries per request, and the slowest statement's plan ------------------------

_SET_CONFIG = re.compile(r"^SELECT set_config\([^;]*\);\s*", re.DOTALL)


def profile_requests(sessions: list[str], url: str, app_role: str, organization_id: str) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.cookies["sessionid"] = sessions[0]
    paths = {
        "bare_select": "/bench/practices/bare",
        "bare_logged": "/bench/practices/bare-logged",
        "feed_api": "/api/practices",
        "feed_api_page_size_5": "/api/practices?page_size=5",
        "feed_api_page_size_50": "/api/practices?page_size=50",
        "feed_html": "/practices/",
        "search_api": f"/api/practices/search?q={quote(SEARCH_WORDS[0])}",
    }
    profiles = {}
    for name, path in paths.items():
        client.get(path)  # warm
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        queries = [
            (float(q["time"]) * 1000, _SET_CONFIG.sub("", q["sql"]))
            for q in captured.captured_queries
        ]
        slowest = max(queries)
        # Python calls per request (cProfile's count, C functions included): deterministic,
        # unlike wall time on a shared machine (docs/benchmarks.md, session 5).
        profiler = cProfile.Profile()
        profiler.enable()
        client.get(path)
        profiler.disable()
        python_calls = pstats.Stats(profiler).total_calls
        reads = [q for q in queries if _is_plain_select(q[1])]
        slowest_read = max(reads)
        profiles[name] = {
            "queries": len(queries),
            "python_calls": python_calls,
            "sql_ms": round(sum(ms for ms, _ in queries), 1),
            "slowest_ms": round(slowest[0], 1),
            "slowest_sql": slowest[1][:3000],
            "slowest_select_ms": round(slowest_read[0], 1),
            "slowest_select_sql": slowest_read[1][:3000],
        }
        if name in ("feed_api", "search_api", "feed_html"):
            profiles[name]["slowest_select_plan_rls_on"] = explain(
                slowest_read[1], url, app_role, organization_id
            )
    connection.close()
    return profiles


def _is_plain_select(sql: str) -> bool:
    # EXPLAIN ANALYZE runs the statement: only reads, never the access log's append.
    words = set(re.findall(r"[A-Z]+", sql.upper()))
    return sql.lstrip().upper().startswith("SELECT") and not words & {
        "INSERT", "UPDATE", "DELETE", "NEXTVAL",
    }  # fmt: skip


def explain(sql: str, url: str, app_role: str, organization_id: str) -> str:
    import psycopg

    if not _is_plain_select(sql):
        return ""
    parts = urlsplit(url)
    app_url = urlunsplit(parts._replace(netloc=f"{app_role}@{parts.hostname}:{parts.port or 5432}"))
    with psycopg.connect(app_url) as conn:
        conn.execute("SELECT set_config('grove.organization_id', %s, true)", [organization_id])
        rows = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}").fetchall()  # noqa: S608
        conn.rollback()
    return "\n".join(row[0] for row in rows)


# --- The run --------------------------------------------------------------------------------


def summarize(rounds: list[dict]) -> dict:
    results = {}
    for name in MEASURES:
        results[name] = {
            key: statistics.median(r[name][key] for r in rounds)
            for key in ("req_per_s", "p50_ms", "p99_ms")
        }

    def ratio(fn):
        return statistics.median(fn(r) for r in rounds)

    ratios = {
        "practices_feed_api_vs_trivial": ratio(
            lambda r: r["feed_api"]["req_per_s"] / r["trivial"]["req_per_s"]
        ),
        "practices_feed_html_vs_trivial": ratio(
            lambda r: r["feed_html"]["req_per_s"] / r["trivial"]["req_per_s"]
        ),
        "practices_search_vs_trivial": ratio(
            lambda r: r["search_api"]["req_per_s"] / r["trivial"]["req_per_s"]
        ),
        "practices_search_p99_vs_feed_api_p99": ratio(
            lambda r: r["search_api"]["p99_ms"] / r["feed_api"]["p99_ms"]
        ),
        "practices_feed_rls_on_vs_off": ratio(
            lambda r: r["feed_api"]["req_per_s"] / r["feed_api_rls_off"]["req_per_s"]
        ),
    }
    bare = {
        name: ratio(lambda r, name=name: r[name]["req_per_s"] / r["bare_select"]["req_per_s"])
        for name in MEASURES
    }
    return {"measures": results, "ratios": ratios, "ratios_vs_bare_select": bare}


def print_table(summary: dict, args, size: dict) -> None:
    print()
    print(
        f"gunicorn {args.workers} sync workers, wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration}s, median of {args.rounds} rounds; big organization: "
        f"{size['big_practices']:,} practices, {size['big_reactions']:,} reactions, "
        f"{size['big_members']:,} members, among {size['organizations']} organizations; "
        f"PostgreSQL jit {args.jit_shown}:"
    )
    trivial = summary["measures"]["trivial"]["req_per_s"]
    bare = summary["measures"]["bare_select"]["req_per_s"]
    print(
        f"{'measure':<18} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs trivial':>11} "
        f"{'vs bare':>8}"
    )
    for name, m in summary["measures"].items():
        print(
            f"{name:<18} {m['req_per_s']:>8.0f} {m['p50_ms']:>8.1f} {m['p99_ms']:>8.1f} "
            f"{m['req_per_s'] / trivial:>10.3f}x {m['req_per_s'] / bare:>7.2f}x"
        )
    print(
        "(bare_anonymous is the issue's reference, one indexed 20-row SELECT: 0.32-0.40x the "
        "trivial view on the issue's machine; bare_select adds the session and the user, "
        "bare_logged the access-log append: the least a logged-in feed read costs.)"
    )


def main(argv=None) -> bool:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    url = database_url()
    superuser = urlsplit(url).username or "postgres"
    size = sizes()
    started = time.perf_counter()
    servers: dict[str, Server] = {}
    figures: dict = {}
    try:
        if args.reuse:
            print("bench practices: serving the database a --keep run left")
            configure_environment(url)
            import django

            django.setup()
            from django.conf import settings

            settings.ROOT_URLCONF = "bench.urls"
            from grove.tenancy.context import unscoped
            from grove.tenancy.models import Organization

            with unscoped("bench: the big organization"):
                big = str(Organization.objects.get(slug="bench-0").pk)
        else:
            print(
                f"bench practices: fresh database {urlsplit(url).path.lstrip('/')}, "
                f"{size['organizations']} organizations, the big one with "
                f"{size['big_practices']:,} practices, {size['big_reactions']:,} reactions, "
                f"{size['big_members']:,} members; generating...",
                flush=True,
            )
            setup_django(url)
            create_app_role(args.app_role)
            members = [size["big_members"]] + [size["members"]] * (size["organizations"] - 1)
            _sessions, people_by_org = seed(size["organizations"], members)
            big = next(iter(people_by_org))
            from django.db import connections

            connections.close_all()
            figures = generate(url, people_by_org, size, args.seed)
        from django.db import connection

        pg_version = connection.pg_version
        sessions = member_sessions(big, args.members)
        setup_seconds = time.perf_counter() - started
        print(f"  data ready in {setup_seconds:.0f} s; profiling requests in-process...")
        database_jit = set_jit(url, on=not args.no_jit)
        jit = application_jit()
        profiles = profile_requests(sessions, url, args.app_role, big)
        from django.db import connections

        connections.close_all()

        word_counts = search_word_counts(url, big)
        servers["rls_on"] = Server(url, args.app_role, args.port, args.workers, wrapper=True)
        servers["rls_off"] = Server(url, superuser, args.port + 1, args.workers, wrapper=False)
        checks = check_endpoints(servers, sessions, big)
        plan = load_plan(servers, sessions, big)
        for name in MEASURES:  # warm every worker's caches and connections
            server, paths, cookies = plan[name]
            wrk(server, paths, cookies, args, args.warmup)
        users = database_users(url)
        rng = random.Random(args.seed)
        rounds = []
        for number in range(1, args.rounds + 1):
            order = list(MEASURES)
            rng.shuffle(order)
            figures_round = {}
            for name in order:
                server, paths, cookies = plan[name]
                figures_round[name] = wrk(server, paths, cookies, args, args.duration)
            rounds.append(figures_round)
            print(
                f"  round {number}/{args.rounds}: "
                + ", ".join(
                    f"{name} {figures_round[name]['req_per_s']:.0f}/s "
                    f"p99 {figures_round[name]['p99_ms']:.0f} ms"
                    for name in MEASURES
                ),
                flush=True,
            )
    except BenchAborted as error:
        print(f"bench practices: aborted: {error}", file=sys.stderr)
        return False
    finally:
        for server in servers.values():
            server.stop()
        from django.db import connections

        connections.close_all()
        if not args.keep and not args.reuse:
            drop_database(url)

    summary = summarize(rounds)
    args.jit_shown = jit
    print_table(summary, args, size)
    total_seconds = time.perf_counter() - started
    args.output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "practices",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config": {
            "scale": scale(),
            **size,
            "rounds": args.rounds,
            "duration_s": args.duration,
            "wrk": f"-t{args.threads} -c{args.connections} --latency",
            "gunicorn_workers": args.workers,
            "members_rotated": len(sessions),
            "search_words": SEARCH_WORDS,
            "search_endpoint": "/api/practices/search?q=<word> (JSON)",
            "search_word_matches_in_big_organization": word_counts,
            "jit": jit,
            "jit_database_default": database_jit,
            "database": database_label(url),
            "app_role": args.app_role,
        },
        "environment": environment(pg_version),
        "database_users_serving": users,
        "generation": figures,
        "checks": checks,
        "queries_per_request": profiles,
        "results": summary,
        "rounds": rounds,
        "setup_seconds": round(setup_seconds, 1),
        "total_seconds": round(total_seconds, 1),
    }
    args.output.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print(
        "search words, matches among the big organization's published practices: "
        + ", ".join(f"{word} {count:,}" for word, count in word_counts.items())
    )
    print(
        "queries per request (in-process, one member): "
        + ", ".join(f"{name} {p['queries']} ({p['sql_ms']} ms SQL)" for name, p in profiles.items())
    )
    print(
        "Python calls per request (in-process, cProfile): "
        + ", ".join(f"{name} {p['python_calls']:,}" for name, p in profiles.items())
    )
    print(f"bench: results in {args.output} ({total_seconds:.0f} s in all)")
    ok = True
    for name, target in TARGETS.items():
        ok &= report(
            name,
            summary["ratios"][name],
            target,
            higher_is_better=name != "practices_search_p99_vs_feed_api_p99",
        )
    return ok


def application_jit() -> str:
    """The jit setting the application's connections get (its settings may override the
    database's): what the servers run with."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        value = cursor.fetchone()[0]
    connection.close()
    return value


def set_jit(url: str, *, on: bool) -> str:
    """The database's jit setting for the servers' new connections (the server default, or off
    with --no-jit); returns what they get."""
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(url, autocommit=True) as conn:
        if on:
            conn.execute(f'ALTER DATABASE "{name}" RESET jit')
        else:
            conn.execute(f'ALTER DATABASE "{name}" SET jit = off')
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SHOW jit").fetchone()[0]


def search_word_counts(url: str, organization_id: str) -> dict:
    """How many of the big organization's published practices each search word matches."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return {
            word: conn.execute(
                "SELECT count(*) FROM practices_practice WHERE organization_id = %s "
                "AND status = 'published' AND search_vector @@ "
                "(websearch_to_tsquery('grove_fr', %s) || websearch_to_tsquery('grove_en', %s))",
                [organization_id, word, word],
            ).fetchone()[0]
            for word in SEARCH_WORDS
        }


def database_users(url: str) -> dict:
    """Which roles the servers' connections run as (pg_stat_activity), to show RLS on and off."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT usename, count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() GROUP BY usename"
        ).fetchall()
    return {user: count for user, count in rows}
