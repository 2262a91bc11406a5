"""Shared set-up of the rights page tests (``from .test_views_fixtures import *``): CSM
assignments, requests built in a given state as set-up data, readers of rows and events."""

from __future__ import annotations

import datetime
import re

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from grove.audit.models import AuditEvent
from grove.rights.models import DataSubjectRequest, RequestState
from grove.staff.models import CsmAssignment
from grove.tenancy.context import unscoped

__all__ = ["assigned_csm", "events", "make_request", "media_root"]

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def assigned_csm(csm, org_a):
    """The CSM, assigned to organization A (set-up data)."""
    with unscoped("test set-up"):
        CsmAssignment.objects.create(organization=org_a, csm=csm)
    return csm


@pytest.fixture
def make_request(db):
    """``make_request(subject, "access", state=..., received_at=...)``: a request row as
    set-up data (not through the actions under test)."""

    def make(
        subject,
        request_type: str = "access",
        *,
        state: str = RequestState.IN_PROGRESS,
        received_at: datetime.datetime | None = None,
        channel: str = "profile",
        **fields,
    ) -> DataSubjectRequest:
        received = received_at or timezone.now()
        fields.setdefault("due_at", received + relativedelta(months=1))
        if state != RequestState.RECEIVED:
            fields.setdefault("identity_verified_at", received)
        dsr = DataSubjectRequest(
            organization_id=subject.organization_id,
            subject=subject,
            request_type=request_type,
            state=state,
            channel=channel,
            filed_by=subject if channel == "profile" else None,
            received_at=received,
            **fields,
        )
        with unscoped("test set-up"):
            dsr.save()
        return dsr

    return make


@pytest.fixture
def events(db):
    """``events("access.denied")``: that action's access-log events, oldest first."""

    def read(action: str | None = None) -> list[AuditEvent]:
        with unscoped("test: read the access log"):
            found = AuditEvent.objects.order_by("id")
            if action is not None:
                found = found.filter(action=action)
            return list(found)

    return read


def rows(model, **filters) -> list:
    with unscoped("test: read rows back"):
        return list(model.objects.filter(**filters))


def fresh(obj):
    with unscoped("test: read back"):
        return type(obj).objects.get(pk=obj.pk)


def code_in(message) -> str:
    """The 6-digit code of a verification mail."""
    found = re.search(r"\b(\d{6})\b", message.body)
    assert found, "no code in the mail"
    return found.group(1)


def link_in(message) -> str:
    found = re.search(r"https?://\S+/rights/exports/\S+/", message.body)
    assert found, "no download link in the mail"
    return found.group(0)
