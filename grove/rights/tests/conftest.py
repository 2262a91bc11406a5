"""The rights tests' task backend.

The public pages' mails (the code, "already open", the lock's refusal) are sent by a
django-tasks task (grove/rights/tasks.py). The project's default backend stores tasks for a
worker; the modules below read those mails from ``mail.outbox``, so they run tasks at once
(the immediate backend, on the commit like the database backend's enqueue). The other modules
keep the project's backend (test_erasure_storage reads the enqueued vacuum's row), and
test_public_timing sets the database backend itself.
"""

import pytest

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
RUN_TASKS_AT_ONCE = {
    "test_actions_filing",
    "test_browser_rights",
    "test_mails",
    "test_verification",
    "test_views_public",
}


@pytest.fixture(autouse=True)
def rights_tasks_backend(request, settings):
    if request.module.__name__.rsplit(".", 1)[-1] in RUN_TASKS_AT_ONCE:
        settings.TASKS = IMMEDIATE
