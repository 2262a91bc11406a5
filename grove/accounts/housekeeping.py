"""Login records past their use: expired sessions and ended login-throttle windows.

A session row holds the session cookie's key and whom it logs in; a throttle row a keyed hash of
a login email. Once expired they serve nothing, so the daily retention task
(``grove.retention.tasks.enforce_retention_daily``) deletes them: Django only deletes an
expired session when its own cookie comes back, and never one whose browser is gone.
"""

from __future__ import annotations

import datetime
from importlib import import_module

from django.conf import settings
from django.utils import timezone

from .throttle import purge_expired_throttles


def delete_expired_login_records(now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete expired sessions and ended throttle windows; return how many of each."""
    now = now or timezone.now()
    session_model = import_module(settings.SESSION_ENGINE).SessionStore.get_model_class()
    sessions, _by_model = session_model.objects.filter(expire_date__lte=now).delete()
    return {"sessions": sessions, "login_throttles": purge_expired_throttles(now)}
