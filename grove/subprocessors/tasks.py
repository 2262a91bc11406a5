"""Background tasks of the subprocessor registry (django-tasks).

Scheduling: django-tasks has no periodic scheduler, so ``apply_subprocessor_changes`` is
enqueued once a day from the host's scheduler (a cron line or systemd timer running
``manage.py subprocessors_apply --enqueue``), or ``manage.py subprocessors_apply`` runs it
directly. Approved changes take effect on their date; a late run applies them late, never early.
"""

from django_tasks import task

from .actions import changes_apply_due


@task()
def apply_subprocessor_changes() -> int:
    """Put into effect every approved change whose date has come; returns how many."""
    return len(changes_apply_due())
