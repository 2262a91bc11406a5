"""Background tasks of the rights app (django-tasks).

Scheduling: django-tasks has no periodic scheduler, so ``remind_due_requests`` is enqueued
from the host's scheduler once a day (or ``manage.py dsr remind`` runs it directly). Running it
more often is harmless: each request is reminded once per deadline.

``send_public_mail`` makes and sends the mails the public pages cause (the 6-digit code, the
"already open" notice, the refusal that a fifth wrong code brings), so that the web request
for a known address does the same visible work as for an unknown one: each enqueues this task
once, the unknown one with an id that is no request. Its arguments are the request's id and the
mail's kind: never the code, never the address.
"""

from django_tasks import task

from . import actions


@task()
def remind_due_requests() -> int:
    """Remind handlers and security officers of requests due soon; returns how many."""
    return actions.requests_remind_due()


@task()
def send_public_mail(request_id: str, kind: str) -> bool:
    """Mail the person of request ``request_id`` its ``kind`` mail (a new code for "code");
    nothing for an id that is no request. Returns whether a mail went."""
    return actions.deliver_public_mail(request_id=request_id, kind=kind)
