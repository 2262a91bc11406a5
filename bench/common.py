"""What every benchmark shares: a fresh PostgreSQL database, the seed, a WSGI runner, the output.

Each benchmark prints one line per measure, ``bench <name> <value> target <target> ok|short``
(``ok`` when the value meets the target), besides its own table and JSON file under var/bench/.
``BENCH_SCALE=small`` asks each for a quick run.
"""

from __future__ import annotations

import gc
import io
import json
import os
import platform
import random
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/grove_bench"
RESULT_DIR = Path("var/bench")


def scale() -> str:
    return os.environ.get("BENCH_SCALE", "full")


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def report(name: str, value: float, target: float, *, higher_is_better: bool = True) -> bool:
    """Print the measure's line; returns whether it met its target."""
    ok = value >= target if higher_is_better else value <= target
    shown = f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"
    wanted = f"{target:.2f}" if abs(target) < 100 else f"{target:.0f}"
    print(f"bench {name} {shown} target {wanted} {'ok' if ok else 'short'}", flush=True)
    return ok


def configure_environment(url: str) -> None:
    """Settings come from the environment: point them at the benchmark database."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grove.settings")
    os.environ["DEBUG"] = "0"  # no query log, production middleware
    os.environ.setdefault("SECRET_KEY", "bench-only-secret")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.pop("GROVE_DB_APP_ROLE", None)


def _admin_connection(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    )


def recreate_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with _admin_connection(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    with _admin_connection(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')


def setup_django(url: str) -> None:
    """A fresh database, Django set up on it, migrated, the benchmark URLs served."""
    configure_environment(url)
    import django
    from django.apps import apps

    if apps.ready:  # an earlier benchmark of the same run: start again from a clean slate
        from django.db import connections

        connections.close_all()
        defaults = connections["default"].settings_dict
        defaults["USER"] = urlsplit(url).username or "postgres"
        defaults["CONN_MAX_AGE"] = 300
    recreate_database(url)
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ROOT_URLCONF = "bench.urls"
    settings.GROVE_RLS_SET_MODE = "prefix"
    call_command("migrate", verbosity=0, interactive=False)


def login_session(user) -> str:
    """A session of ``user``, logged in, written to the session table; returns its key."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def seed(organizations: int, users_per_org: int | list[int]) -> tuple[list[tuple[str, str]], dict]:
    """Organizations, job types and people (``users_per_org``: one figure for all, or one per
    organization); returns (session key, organization id) pairs, one logged-in member per
    organization, and each organization's people's ids."""
    import datetime

    from django.db import connection
    from django.utils import timezone

    from grove.accounts.models import OrgRole, User
    from grove.tenancy.context import unscoped
    from grove.tenancy.models import JobType, Organization

    rng = random.Random(7)
    today = timezone.now().date()
    sessions = []
    people_by_org: dict[str, list[str]] = {}
    with unscoped("bench: seed every organization"):
        orgs = Organization.objects.bulk_create(
            Organization(
                name=f"Bench client {n}",
                slug=f"bench-{n}",
                contract_start=today - datetime.timedelta(days=30),
                contract_end=today + datetime.timedelta(days=365),
                data_region="eu-west",
            )
            for n in range(organizations)
        )
        sizes = users_per_org if isinstance(users_per_org, list) else [users_per_org] * len(orgs)
        for org, size in zip(orgs, sizes, strict=True):
            jobs = JobType.objects.bulk_create(
                JobType(organization=org, name=f"Job {j}") for j in range(8)
            )
            people = []
            for n in range(size):
                user = User(
                    email=f"p{n}@{org.slug}.example",
                    first_name=f"First{rng.randrange(10_000)}",
                    last_name=f"Last{rng.randrange(10_000)}",
                    organization=org,
                    job_type=rng.choice(jobs),
                    org_role=OrgRole.MANAGER if n == 0 else OrgRole.MEMBER,
                    country="FR",
                )
                user.set_unusable_password()  # no Argon2 for 10,000 people
                people.append(user)
            User.objects.bulk_create(people, batch_size=1000)
            people_by_org[str(org.pk)] = [str(p.pk) for p in people]
            sessions.append((login_session(people[0]), str(org.pk)))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return sessions, people_by_org


def create_app_role(app_role: str) -> None:
    from django.db import connection

    from grove.tenancy.roles import setup_roles_sql

    statements = setup_roles_sql(database=connection.settings_dict["NAME"], app_role=app_role)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


class Runner:
    """Calls the WSGI handler directly, as a server would (request_started/finished fire)."""

    def __init__(self, sessions, superuser: str, app_role: str):
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()
        self.sessions = sessions
        self.superuser = superuser
        self.app_role = app_role
        self.wrapper_enabled = True
        self.position = 0

    def use(self, variant: dict) -> None:
        from django.conf import settings
        from django.db import connections

        connection = connections["default"]
        connection.close()
        connection.settings_dict["USER"] = self.app_role if variant["app_role"] else self.superuser
        connection.settings_dict["CONN_MAX_AGE"] = variant["conn_max_age"]
        settings.GROVE_RLS_SET_MODE = variant["mode"]
        self.wrapper_enabled = variant["wrapper"]

    def on_connection_created(self, sender, connection, **kwargs) -> None:
        # Runs after grove.tenancy.db's receiver, which installs the wrapper on each connection.
        from grove.tenancy.db import rls_execute_wrapper

        if not self.wrapper_enabled and rls_execute_wrapper in connection.execute_wrappers:
            connection.execute_wrappers.remove(rls_execute_wrapper)
        elif self.wrapper_enabled and rls_execute_wrapper not in connection.execute_wrappers:
            connection.execute_wrappers.append(rls_execute_wrapper)

    def get(self, path: str, session_key: str) -> tuple[str, bytes]:
        status = []
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "443",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "testserver",
            "HTTP_COOKIE": f"sessionid={session_key}",
            "REMOTE_ADDR": "203.0.113.7",
            "wsgi.url_scheme": "https",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        response = self.handler(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            body = b"".join(response)
        finally:
            response.close()  # request_finished: closes the connection when CONN_MAX_AGE=0
        return status[0], body

    def request(self, check: bool = False) -> None:
        """The RLS benchmark's request: one page of the session's organization's people."""
        session_key, organization_id = self.sessions[self.position % len(self.sessions)]
        self.position += 1
        status, body = self.get("/bench/users", session_key)
        if check:
            assert status == "200 OK", (status, body[:200])
            data = json.loads(body)
            assert data["organization"] == organization_id, data["organization"]
            assert len(data["users"]) == 20, len(data["users"])
            assert {u["organization"] for u in data["users"]} == {organization_id}

    def database_user(self) -> tuple[str, bool]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, rolbypassrls FROM pg_roles WHERE rolname = current_user"
            )
            return cursor.fetchone()


def timed(run, count: int, warmup: int) -> float:
    """Requests (or anything) per second over ``count`` calls, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        run()
    gc.collect()
    started = time.perf_counter()
    for _ in range(count):
        run()
    return count / (time.perf_counter() - started)


def environment(pg_version) -> dict:
    import django

    return {
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg_version,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }


def database_label(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5432}/{parts.path.lstrip('/')}"


# --- Load with wrk (the practices and retention benchmarks) -----------------------------------

WRK = shutil.which("wrk") or "/usr/bin/wrk"

# Rotates the paths and the session cookies (none: no cookie), behind an HTTPS proxy as in
# production; counts the non-200 answers; prints the requests, the duration, the bad answers,
# the socket errors and the latency at the asked percentiles (microseconds).
WRK_LUA = """
local paths = {%(paths)s}
local cookies = {%(cookies)s}
local counter = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  counter = math.random(1, 1000)
end

function request()
  counter = counter + 1
  local headers = {["X-Forwarded-Proto"] = "https"}
  if #cookies > 0 then
    headers["Cookie"] = "sessionid=" .. cookies[(counter %% #cookies) + 1]
  end
  return wrk.format("GET", paths[(counter %% #paths) + 1], headers)
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total_bad = 0
  for _, thread in ipairs(threads) do
    total_bad = total_bad + thread:get("bad")
  end
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    total_bad, e.connect + e.read + e.write + e.timeout))
  local points = {}
  for _, p in ipairs({%(percentiles)s}) do
    -- percentile(100) overflows to 0 in wrk: the maximum is latency.max
    local value = p < 100 and latency:percentile(p) or latency.max
    table.insert(points, string.format("%%g:%%d", p, value))
  end
  io.write("PCT " .. table.concat(points, " ") .. "\\n")
end
"""


class BenchAborted(RuntimeError):
    """The run cannot give a fair measure (an answer not as expected, a check failed)."""


class WrkFailed(BenchAborted):
    """wrk printed no result, or saw answers other than 200 or socket errors: not a measure."""


def _lua_strings(values) -> str:
    return ", ".join(json.dumps(str(v)) for v in values)  # JSON strings are valid Lua strings


def run_wrk(
    base: str,
    paths: list[str],
    cookies: list[str],
    *,
    threads: int,
    connections: int,
    seconds: int,
    percentiles=(50, 99),
    socket_timeout: str | None = None,
) -> dict:
    """``seconds`` of load on ``paths`` (rotated, with the session ``cookies`` rotated): the
    requests, req/s and the latency at each of ``percentiles`` (ms, 100 the maximum). Raises
    WrkFailed on any non-200 answer or socket error (``socket_timeout``: wrk's, default 2 s)."""
    import re
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            WRK_LUA
            % {
                "paths": _lua_strings(paths),
                "cookies": _lua_strings(cookies),
                "percentiles": ", ".join(f"{p:g}" for p in percentiles),
            }
        )
    timeout = ["--timeout", socket_timeout] if socket_timeout else []
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", *timeout]
    try:
        result = subprocess.run(  # noqa: S603 -- wrk, fixed arguments
            [*command, "-s", script.name, base],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        os.unlink(script.name)
    found = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+)", result.stdout)
    points = re.search(r"PCT (.*)", result.stdout)
    if not found or not points:
        raise WrkFailed(f"wrk: {result.stdout}{result.stderr}")
    requests, duration_us, bad, errors = map(int, found.groups())
    if bad or errors:
        raise WrkFailed(f"{paths[0]}: {bad} non-200 answers, {errors} socket errors under load")
    pct = [(float(p), int(us) / 1000) for p, us in (item.split(":") for item in points[1].split())]
    return {
        "requests": requests,
        "req_per_s": requests / (duration_us / 1e6),
        "percentiles_ms": pct,
        "latency_ms": dict(pct),
    }
