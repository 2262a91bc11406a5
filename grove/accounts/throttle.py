"""Throttling of password logins and password-reset mails, per login (never per IP address).

Each login has a counter per scope in a fixed window that starts at its first counted attempt:

- login: every password attempt is counted *before* the password is checked; from the
  ``GROVE_LOGIN_MAX_FAILURES + 1``-th in ``GROVE_LOGIN_WINDOW_MINUTES`` the attempt is refused
  without checking it, until the window ends. A successful login (or a completed password reset)
  deletes the counter, so only failures add up.
- password reset: at most ``GROVE_PASSWORD_RESET_MAX_MAILS`` requests per
  ``GROVE_PASSWORD_RESET_WINDOW_MINUTES`` may send a mail; beyond, the caller sends none.

The counter is keyed by ``salted_hmac`` of the normalized email, whether or not an account has
it: an unknown email is counted and refused exactly like a known one. Counting is one
``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement (PostgreSQL, SQLite >= 3.35): the
row lock it takes makes concurrent attempts add up exactly, and an expired window restarts in
the same statement. Counting before checking means concurrent requests cannot get more than
the allowed number of password checks between them.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import LoginThrottle, ThrottleScope

KEY_SALT = "grove.accounts.throttle."

_COUNT_SQL = """
INSERT INTO {table} AS t (key_hash, scope, window_start, count)
VALUES (%s, %s, %s, 1)
ON CONFLICT (key_hash) DO UPDATE SET
    window_start = CASE WHEN t.window_start <= %s THEN excluded.window_start
                        ELSE t.window_start END,
    count = CASE WHEN t.window_start <= %s THEN 1 ELSE t.count + 1 END
RETURNING count
"""


@dataclass(frozen=True)
class Policy:
    limit: int
    window: datetime.timedelta


def policy(scope: str) -> Policy:
    if scope == ThrottleScope.LOGIN:
        limit = getattr(settings, "GROVE_LOGIN_MAX_FAILURES", 5)
        minutes = getattr(settings, "GROVE_LOGIN_WINDOW_MINUTES", 15)
    elif scope == ThrottleScope.PASSWORD_RESET:
        limit = getattr(settings, "GROVE_PASSWORD_RESET_MAX_MAILS", 3)
        minutes = getattr(settings, "GROVE_PASSWORD_RESET_WINDOW_MINUTES", 60)
    else:
        raise ValueError(f"unknown throttle scope {scope!r}")
    return Policy(limit=limit, window=datetime.timedelta(minutes=minutes))


def throttle_key(scope: str, email: str) -> str:
    """The keyed hash a login's counter is stored under (the email itself never is)."""
    normalized = (email or "").strip().lower()
    return salted_hmac(KEY_SALT + scope, normalized, algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class Attempt:
    allowed: bool
    # Whole minutes (at least 1) until the window ends; 0 when allowed.
    retry_after_minutes: int = 0
    retry_after_seconds: int = 0


def count_attempt(scope: str, email: str) -> Attempt:
    """Count one attempt for ``email`` in ``scope``; say whether it is within the limit.

    Runs in the caller's transaction (the request's): the row stays locked until it commits.
    """
    rule = policy(scope)
    key = throttle_key(scope, email)
    now = timezone.now()
    expired_before = connection.ops.adapt_datetimefield_value(now - rule.window)
    sql = _COUNT_SQL.format(table=connection.ops.quote_name(LoginThrottle._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                key,
                str(scope),
                connection.ops.adapt_datetimefield_value(now),
                expired_before,
                expired_before,
            ],
        )
        (count,) = cursor.fetchone()
    if count <= rule.limit:
        return Attempt(allowed=True)
    window_start = (
        LoginThrottle.objects.filter(pk=key).values_list("window_start", flat=True).first()
    )
    ends_at = (window_start or now) + rule.window  # None: deleted since (autocommit only)
    seconds = max(1, math.ceil((ends_at - now).total_seconds()))
    return Attempt(
        allowed=False, retry_after_minutes=math.ceil(seconds / 60), retry_after_seconds=seconds
    )


def clear(scope: str, email: str) -> None:
    """Forget ``email``'s counter in ``scope`` (after a successful login or password reset)."""
    LoginThrottle.objects.filter(pk=throttle_key(scope, email)).delete()


def count_login_attempt(email: str) -> Attempt:
    return count_attempt(ThrottleScope.LOGIN, email)


def clear_login_attempts(email: str) -> None:
    clear(ThrottleScope.LOGIN, email)


def count_password_reset_request(email: str) -> Attempt:
    return count_attempt(ThrottleScope.PASSWORD_RESET, email)


def purge_expired_throttles(now: datetime.datetime | None = None) -> int:
    """Delete every counter whose window has ended; returns how many. For the daily job."""
    now = now or timezone.now()
    expired = Q()
    for scope in ThrottleScope:
        expired |= Q(scope=scope, window_start__lte=now - policy(scope).window)
    deleted, _by_model = LoginThrottle.objects.filter(expired).delete()
    return deleted
