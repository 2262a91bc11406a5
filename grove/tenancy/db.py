"""Hands the current tenant to PostgreSQL row-level security, transaction by transaction.

The RLS policies (rls.py) read two transaction-local settings, ``grove.organization_id`` and
``grove.rls_bypass``. They are set with ``set_config(..., true)`` in the same round trip as the
first statement of each transaction that needs them: the statement is prefixed with a
``SELECT set_config(...)`` and the cursor moves on to the statement's own result. Django's
psycopg backend binds parameters on the client side by default, so both go as one simple-protocol
query. Server-side (named) cursors and executemany cannot take a prefix: they get one extra round
trip. ``GROVE_RLS_SET_MODE = "statement"`` always uses the extra round trip (for benchmarks).

Each new connection also gets a health check (CONN_HEALTH_CHECKS) without a round trip:
``is_usable`` below.
"""

from __future__ import annotations

import functools
import select

from django.conf import settings
from django.db.backends.signals import connection_created

from .context import current_scope

_APPLIED = "_grove_rls_applied"
_NOTHING = ("", "")
# What the transaction holds is not known (after a rollback to a savepoint, or a failed
# statement): the next statement sets the settings again, whatever they were.
_UNKNOWN = ("?", "?")


def desired_settings() -> tuple[str, str]:
    scope = current_scope()
    return (
        str(scope.organization_id) if scope.organization_id else "",
        "on" if scope.is_unscoped else "",
    )


def set_config_sql(values: tuple[str, str]) -> str:
    organization_id, bypass = values
    # Only a UUID's text and "on"/"": no quoting or % can occur, so the prefix is safe to inline.
    return (
        f"SELECT set_config('grove.organization_id', '{organization_id}', true), "
        f"set_config('grove.rls_bypass', '{bypass}', true)"
    )


def rls_execute_wrapper(execute, sql, params, many, context):
    from psycopg import ServerCursor
    from psycopg.pq import TransactionStatus

    db = context["connection"]
    raw_connection = db.connection
    status = raw_connection.info.transaction_status
    if status == TransactionStatus.INERROR or _is_savepoint_rollback(sql):
        # A failed transaction only takes ROLLBACK (TO SAVEPOINT): a prefix would fail too. And
        # rolling back to a savepoint undoes any set_config made after it, so forget what was
        # applied: the next statement sets the settings again.
        try:
            return execute(sql, params, many, context)
        finally:
            setattr(db, _APPLIED, _UNKNOWN)
    if status == TransactionStatus.IDLE:
        # A new transaction: the last one's set_config(..., true) ended with it.
        applied = _NOTHING
        if not db.get_autocommit():
            setattr(db, _APPLIED, _NOTHING)
    elif db.get_autocommit():
        applied = _UNKNOWN  # a transaction opened on the raw connection: not ours to track
    else:
        applied = getattr(db, _APPLIED, _UNKNOWN)
    desired = desired_settings()
    if desired == applied:
        return execute(sql, params, many, context)

    raw_cursor = context["cursor"].cursor
    separate = (
        many
        or isinstance(raw_cursor, ServerCursor)
        or getattr(settings, "GROVE_RLS_SET_MODE", "prefix") == "statement"
    )
    if separate:
        if db.get_autocommit():
            # Autocommit runs each statement in its own transaction: a separate set_config
            # would be gone before the statement runs. Wrap both in one.
            with raw_connection.transaction():
                raw_connection.execute(set_config_sql(desired))
                return execute(sql, params, many, context)
        raw_connection.execute(set_config_sql(desired))
        setattr(db, _APPLIED, desired)
        return execute(sql, params, many, context)

    result = execute(f"{set_config_sql(desired)}; {sql}", params, many, context)
    raw_cursor.nextset()  # step over set_config's row to the statement's own result
    if not db.get_autocommit():
        setattr(db, _APPLIED, desired)
    return result


def _is_savepoint_rollback(sql) -> bool:
    return isinstance(sql, str) and sql.lstrip()[:21].upper() == "ROLLBACK TO SAVEPOINT"


def is_usable(db) -> bool:
    """Django's health check of a persistent connection (``CONN_HEALTH_CHECKS``, run before the
    first query of each request), without its ``SELECT 1`` round trip when nothing is amiss.

    A connection the server ended (a restart, ``pg_terminate_backend``, a failover, an idle
    timeout) has had its goodbye and end of stream delivered to the socket: an idle connection
    whose socket has nothing to read is usable as it is. Whenever the socket does have something
    (the server's goodbye, or a rare notice), or a transaction is open, Django's own check runs
    the round trip and decides. A peer that vanished without a word is missed, as ``SELECT 1``
    would be (it would wait for the network's timeout).
    """
    from psycopg.pq import TransactionStatus

    raw_connection = db.connection
    if raw_connection is None or raw_connection.closed or raw_connection.broken:
        return False
    if raw_connection.info.transaction_status == TransactionStatus.IDLE and not _has_input(
        raw_connection.fileno()
    ):
        return True
    return type(db).is_usable(db)


def _has_input(fileno: int) -> bool:
    """Whether the socket has something to read (or was closed), without waiting."""
    if not hasattr(select, "poll"):  # not on Linux: say yes, and the round trip decides
        return True
    poller = select.poll()
    poller.register(fileno, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def _on_connection_created(sender, connection, **kwargs) -> None:
    if connection.vendor != "postgresql":
        return
    connection.is_usable = functools.partial(is_usable, connection)
    role = getattr(settings, "GROVE_DB_APP_ROLE", "")
    if role:
        # Log in as a privileged role, work as the application role that RLS applies to.
        with connection.connection.cursor() as cursor:
            cursor.execute(f'SET ROLE "{role}"')
    if rls_execute_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(rls_execute_wrapper)


def install() -> None:
    connection_created.connect(_on_connection_created, dispatch_uid="grove-tenancy-rls")
