"""The profile page: what Grove holds about the person, and their interface language."""

import pytest
from django.urls import reverse

from grove.accounts import actions
from grove.accounts.models import User
from grove.audit.models import AuditAction
from grove.tenancy.context import unscoped

PROFILE = reverse("accounts:profile")


def _language_of(user) -> str:
    with unscoped("test: read back"):
        return User.objects.get(pk=user.pk).language


def test_it_requires_a_login(client, db):
    response = client.get(PROFILE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_member_sees_their_own_details(client, alice):
    client.force_login(alice)

    response = client.get(PROFILE)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Alice Anders" in page
    assert "alice@a.example" in page
    assert "Store staff" in page


def test_a_member_chooses_french_and_the_next_page_is_in_french(client, alice, audit_events):
    client.force_login(alice)

    response = client.post(PROFILE, {"language": "fr"})

    assert response.status_code == 302
    assert _language_of(alice) == "fr"
    page = client.get(PROFILE)
    assert page["Content-Language"] == "fr"
    assert '<html lang="fr">' in page.content.decode()
    [event] = audit_events(AuditAction.USER_CHANGED)
    assert event.actor_id == alice.pk
    assert event.details == {"fields": ["language"]}


def test_choosing_the_browsers_language_again_clears_the_choice(client, alice):
    with unscoped("test: set up"):
        User.objects.filter(pk=alice.pk).update(language="fr")
    client.force_login(alice)

    response = client.post(PROFILE, {"language": ""})

    assert response.status_code == 302
    assert _language_of(alice) == ""


def test_an_unknown_language_is_refused_and_nothing_changes(client, alice, audit_events):
    client.force_login(alice)

    response = client.post(PROFILE, {"language": "xx"})

    assert response.status_code == 400
    assert _language_of(alice) == ""
    assert audit_events(AuditAction.USER_CHANGED) == []


def test_staff_choose_their_language_too(staff_client, csm):
    response = staff_client(csm).post(PROFILE, {"language": "fr"})

    assert response.status_code == 302
    assert _language_of(csm) == "fr"


def test_the_action_writes_nothing_when_the_language_does_not_change(alice, audit_events):
    actions.user_language_set(actor=alice, language="")

    assert audit_events(AuditAction.USER_CHANGED) == []


def test_the_action_refuses_an_unknown_language(alice):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        actions.user_language_set(actor=alice, language="de")
