"""Background tasks of the rights app (django-tasks).

Scheduling: django-tasks has no periodic scheduler, so ``remind_due_requests`` is enqueued
from the host's scheduler once a day (or ``manage.py dsr remind`` runs it directly). Running it
more often is harmless: each request is reminded once per deadline.
"""

from django_tasks import task

from .actions import requests_remind_due


@task()
def remind_due_requests() -> int:
    """Remind handlers and security officers of requests due soon; returns how many."""
    return requests_remind_due()
