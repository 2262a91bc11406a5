"""Background tasks of onboarding (django-tasks): ids only in their arguments."""

from __future__ import annotations

from django_tasks import task

from grove.accounts.models import User
from grove.tenancy.context import unscoped

from .models import UserImport


@task()
def run_user_import(import_id: str, actor_id: str | None = None) -> str:
    """Commit a previewed (queued) list with the mode and full-sync choice stored on it.

    An error marks the import FAILED with the error's class name (never its text: it could
    quote a value) and is raised again for the worker's log; the import's writes were rolled
    back, and it may be committed again.
    """
    from .actions import COMMITTABLE, import_commit, import_mark_failed
    from .models import ImportMode

    with unscoped("user import task: the import is found by its id, then runs as its tenant"):
        user_import = UserImport.objects.select_related("organization").get(pk=import_id)
        actor = User.objects.get(pk=actor_id) if actor_id else None
    if user_import.status not in COMMITTABLE:
        return user_import.status  # enqueued twice, or discarded meanwhile: nothing to do
    try:
        import_commit(
            actor=actor,
            user_import=user_import,
            valid_only=user_import.mode == ImportMode.VALID_ONLY,
            full_sync=user_import.full_sync,
        )
    except Exception as error:
        import_mark_failed(user_import=user_import, failure_code=type(error).__name__)
        raise
    return user_import.status
