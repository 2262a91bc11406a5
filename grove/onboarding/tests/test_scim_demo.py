"""The demo's SCIM token: created once, usable against /scim/v2/, hidden once revoked."""

from __future__ import annotations

import pytest
from django.utils import timezone

from grove.onboarding.models import ScimToken
from grove.onboarding.scim.demo import seed_scim_token
from grove.tenancy.context import unscoped

from .scim_helpers import Scim

pytestmark = pytest.mark.django_db


def test_the_demo_token_is_created_once_and_works(client, org_a, bob, alice):
    token, created = seed_scim_token(org_a, created_by=bob)
    assert created == 1 and token.startswith("grove_scim_demo_")
    assert seed_scim_token(org_a, created_by=bob) == (token, 0)
    names = [r["userName"] for r in Scim(client, token).get("Users").json()["Resources"]]
    assert sorted(names) == ["alice@a.example", "bob@a.example"]
    with unscoped("test"):
        ScimToken.objects.update(revoked_at=timezone.now())
    assert seed_scim_token(org_a, created_by=bob) == ("", 0)
