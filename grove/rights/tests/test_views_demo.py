"""The demo requests (grove/rights/demo.py) as the console shows them."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from grove.core.testing.factories import UserFactory
from grove.rights.demo import seed_rights_demo
from grove.rights.models import DataSubjectRequest, RequestState, RequestStep

from .test_views_fixtures import *  # noqa: F403 -- the shared fixtures
from .test_views_fixtures import rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(org_a, alice):
    return [alice] + [
        UserFactory(organization=org_a, email=f"member{n}@a.example") for n in range(5)
    ]


def test_the_demo_seeds_each_state_once_with_one_overdue(
    org_a, members, assigned_csm, security_officer, staff_client
):
    assert seed_rights_demo(org_a) == 6
    assert seed_rights_demo(org_a) == 0  # idempotent
    requests = rows(DataSubjectRequest)
    now = timezone.now()
    assert {dsr.state for dsr in requests} == {
        RequestState.RECEIVED,
        RequestState.IN_PROGRESS,
        RequestState.AWAITING_APPROVAL,
        RequestState.FULFILLED,
        RequestState.REFUSED,
    }
    [overdue] = [dsr for dsr in requests if dsr.is_overdue_at(now)]
    assert len({(dsr.subject_id, dsr.request_type) for dsr in requests}) == 6
    assert all(rows(RequestStep, request=dsr) for dsr in requests)
    body = staff_client(assigned_csm).get(reverse("rights:console")).content.decode()
    assert "1 request is overdue" in body
    first = body.index('data-request="')
    assert body[first:].startswith(f'data-request="{overdue.pk}"')
