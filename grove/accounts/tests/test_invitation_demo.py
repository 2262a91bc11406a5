"""seed_demo leaves Demo Retail one pending invitation and prints its activation link."""

import io
import re

import pytest
from django.core.management import call_command

from grove.accounts.demo import DEMO_INVITEE
from grove.accounts.models import Invitation, User
from grove.tenancy.context import unscoped

LINK = re.compile(r"Pending invitation \(Demo Retail\): (http\S+/accounts/invitation/\S+/)")


@pytest.fixture(autouse=True)
def demo_settings(settings, tmp_path):
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    match = LINK.search(out.getvalue())
    return match.group(1).split("127.0.0.1:8000", 1)[-1] if match else ""


def test_the_demo_prints_a_working_invitation_link_until_it_is_used(db, client):
    first = seed()
    assert first.startswith("/accounts/invitation/")
    assert client.get(first).status_code == 200

    second = seed()  # each run makes a fresh link: only the token's hash is stored
    assert second != first
    assert client.get(first).status_code == 404
    with unscoped("test: read back"):
        invitee = User.objects.get(email=DEMO_INVITEE[0])
        assert Invitation.objects.filter(user=invitee).count() == 1
        assert not invitee.has_usable_password()

    password = "demo-invitee-passphrase-99"  # noqa: S105 -- test value
    response = client.post(
        second, {"new_password1": password, "new_password2": password, "accept_terms": "on"}
    )
    assert response.status_code == 302

    assert seed() == ""  # activated: no pending invitation to show
