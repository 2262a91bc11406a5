"""Background tasks of the staff app (django-tasks).

Scheduling: django-tasks has no periodic scheduler, so ``expire_grants`` is enqueued from the
host's scheduler every minute, e.g. a cron line or systemd timer running
``manage.py expire_grants --enqueue`` (the ``db_worker`` then runs it) or ``manage.py
expire_grants`` directly. Lateness only delays the GRANT_EXPIRED record: access itself already
ends at ``expires_at``, checked by authorize() on every request.
"""

from django_tasks import task

from .actions import grant_expire_due


@task()
def expire_grants() -> int:
    """Record GRANT_EXPIRED for every grant whose end has passed; returns how many."""
    return len(grant_expire_due())
