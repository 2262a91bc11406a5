"""Background task of the exports (django-tasks): delete the files of expired links.

Enqueued daily by the host's scheduler (``manage.py dsr expire_exports`` does the same inline).
No arguments: nothing about a person travels through the queue.
"""

from django_tasks import task

from .export import exports_delete_expired


@task()
def delete_expired_exports() -> int:
    """Delete expired export files; returns how many."""
    return exports_delete_expired()
