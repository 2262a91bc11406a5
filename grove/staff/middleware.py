"""Keeps every refusal of access in the access log, even when the request's transaction fails.

``authorize()`` records ACCESS_DENIED and raises a 404; the staff actions raise ActionRefused.
Under ``ATOMIC_REQUESTS`` that exception rolls the view's transaction back, the event with it;
this middleware runs after the rollback and writes the event again in a transaction of its own.
When the event survived (the view caught the exception, or it ran outside a transaction),
nothing is written twice.
"""

from __future__ import annotations

from django.db import transaction

from grove.audit.events import record_event
from grove.audit.models import AuditEvent
from grove.tenancy.context import unscoped

from .authorization import RecordedRefusal


class DeniedAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, RecordedRefusal):
            return None
        with transaction.atomic():
            with unscoped("access log: is the denial still recorded after the rollback?"):
                kept = AuditEvent.objects.filter(public_id=exception.event_public_id).exists()
            if not kept:
                record_event(request=request, **exception.event_fields)
        return None  # Django's 404 handling answers as usual
