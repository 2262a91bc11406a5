"""Django's database session engine, its per-request read in one plain statement.

Every logged-in request reads its session first. Through the ORM that read builds and compiles
a queryset: about 700 Python calls, a ninth of a whole request that reads one indexed page
(docs/benchmarks.md, "Session 5: the fixed cost of a request"). This engine reads the same row
of the same table under the same condition (the key, not expired) with one parameterised
``SELECT``; everything else (creating, saving, deleting, ``clearsessions``) is Django's own.
Nothing is cached outside PostgreSQL: a logout or an erasure (grove/rights/erasure.py deletes
the rows) takes effect on the next request, as before.

Enabled with ``SESSION_ENGINE = "grove.core.sessions"``.
"""

from __future__ import annotations

import functools

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        session_key = self.session_key
        if not session_key:  # no cookie, or one that failed Django's key validation
            self._session_key = None
            return None
        model = self.model
        connection = connections[router.db_for_read(model)]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_select_sql(model, connection.alias), [session_key, now])
            row = cursor.fetchone()
        if row is None:  # unknown, expired, or deleted (logout, erasure)
            self._session_key = None
            return None
        return model(session_key=session_key, session_data=row[0])


@functools.cache
def _select_sql(model, alias: str) -> str:
    quote = connections[alias].ops.quote_name
    column = {f.name: quote(f.column) for f in model._meta.concrete_fields}
    return (
        f"SELECT {column['session_data']} FROM {quote(model._meta.db_table)} "  # noqa: S608
        f"WHERE {column['session_key']} = %s AND {column['expire_date']} > %s"
    )
