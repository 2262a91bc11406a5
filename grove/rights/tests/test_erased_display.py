"""An erased person is shown as "Former member" wherever people are listed or shown: never the
anonymised row's placeholder address, never a blank name. SCIM no longer knows them."""

from __future__ import annotations

import json
import uuid

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from grove.accounts.models import User
from grove.api import serialize
from grove.api.actions import api_token_create
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.audit.queries import actor_choices
from grove.onboarding.import_views import _who
from grove.onboarding.models import UserImport
from grove.rights import erasure
from grove.rights.models import RequestState
from grove.staff.models import CsmAssignment
from grove.tenancy.context import tenant_context, unscoped

from .test_erasure_support import FIRST_NAME, LAST_NAME, make_person
from .test_views_fixtures import *  # noqa: F403 -- the shared fixtures

pytestmark = pytest.mark.django_db

FORMER = "Former member"


@pytest.fixture
def erased(org_a, security_officer, make_request):
    """A member of A with an access request and an access-log event, then erased."""
    person = make_person(org_a)
    dsr = make_request(person, "access", state=RequestState.IN_PROGRESS)
    record_event(
        action=AuditAction.VIEW,
        actor=person,
        organization=org_a,
        object_type="practice",
        object_ids=[person.pk],
        subject_user=person,
    )
    erasure.erase_person(actor=security_officer, subject=person)
    with unscoped("test: the erased row"):
        user = User._base_manager.get(pk=person.pk)
    assert user.is_erased and user.email.endswith("@erased.invalid")
    user.dsr = dsr
    return user


def assert_former_member(body: str, user: User) -> None:
    assert FORMER in body
    assert user.email not in body
    assert FIRST_NAME not in body and LAST_NAME not in body


def test_display_name_and_email_of_an_erased_person_and_of_anyone_else(erased, alice):
    assert erased.display_name == FORMER and erased.display_email == ""
    assert alice.display_name == "Alice Anders" and alice.display_email == alice.email


def test_the_staff_organization_page(staff_client, csm, org_a, erased):
    with unscoped("test set-up"):
        CsmAssignment.objects.create(organization=org_a, csm=csm)
    response = staff_client(csm).get(reverse("staff:organization", args=[org_a.slug]))
    assert response.status_code == 200
    assert_former_member(response.content.decode(), erased)


def test_the_invitations_list(client, bob, erased):
    client.force_login(bob)
    response = client.get("/accounts/invitations/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-user="{erased.pk}"' in body
    assert_former_member(body, erased)


def test_the_rights_console_for_the_manager_and_the_csm(
    client, bob, staff_client, assigned_csm, erased
):
    client.force_login(bob)
    listing = client.get(reverse("rights:console")).content.decode()
    assert str(erased.dsr.pk) in listing
    assert_former_member(listing, erased)
    staff = staff_client(assigned_csm)
    for url in (reverse("rights:console"), reverse("rights:console_detail", args=[erased.dsr.pk])):
        response = staff.get(url)
        assert response.status_code == 200
        assert_former_member(response.content.decode(), erased)


def test_the_access_log_page_and_its_actor_filter(client, bob, org_a, erased):
    client.force_login(bob)
    response = client.get(reverse("audit:access_log"))
    assert response.status_code == 200
    assert_former_member(response.content.decode(), erased)
    with tenant_context(org_a):
        choices = dict(actor_choices(include_org_users=True))
    assert choices[str(erased.pk)] == FORMER


def test_the_api_person_and_member_helpers(erased):
    assert serialize.person(erased) == {"id": erased.pk, "name": FORMER}
    member = serialize.member(erased)
    assert member["name"] == FORMER
    assert erased.email not in json.dumps(member, default=str)


def test_the_api_members_list_and_profile_leave_the_erased_out(client, alice, erased):
    with tenant_context(alice.organization_id):
        token = api_token_create(actor=alice, name="Integration").secret
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    listing = client.get("/api/members", **headers)
    assert listing.status_code == 200
    assert str(erased.pk) not in listing.content.decode()
    assert client.get(f"/api/members/{erased.pk}", **headers).status_code == 404


def test_a_notification_about_an_erased_actor(erased, alice):
    # The actor link is unlinked by the erasure (SET_NULL); a row still naming the erased user
    # (one read before the erasure committed) reads the same as an unlinked one would.
    class Row:
        pk = 1
        actor = erased
        practice_id = uuid.uuid4()
        practice = None
        kind = "comment"
        is_read = True
        details = ""
        created_at = timezone.now()

    body = render_to_string("notifications/_notification.html", {"n": Row(), "user": alice})
    assert f"{FORMER} commented on your practice" in body
    assert erased.email not in body


def test_an_import_made_by_an_erased_manager(org_a, erased):
    class Access:
        organization = org_a

    unlinked = UserImport(organization=org_a, created_by=None, source="web")
    assert _who(unlinked, Access()) == FORMER
    by_erased = UserImport(organization=org_a, created_by=erased, source="web")
    assert _who(by_erased, Access()) == FORMER
    assert _who(UserImport(organization=org_a, source="cli"), Access()) == "Command line"


# --- SCIM: an erased person is no one to the identity provider ---------------------------------


@pytest.fixture
def scim_headers(bob, org_a):
    from grove.onboarding.scim_tokens import scim_token_create

    with tenant_context(org_a):
        secret = scim_token_create(actor=bob, organization=org_a, name="Okta").secret
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_scim_neither_lists_nor_returns_an_erased_person(client, scim_headers, erased, alice):
    listing = client.get("/scim/v2/Users", **scim_headers)
    assert listing.status_code == 200
    body = listing.content.decode()
    assert str(alice.pk) in body
    assert str(erased.pk) not in body and erased.email not in body
    filtered = client.get(
        "/scim/v2/Users", {"filter": f'userName eq "{erased.email}"'}, **scim_headers
    )
    assert filtered.json()["totalResults"] == 0
    assert client.get(f"/scim/v2/Users/{erased.pk}", **scim_headers).status_code == 404


def test_scim_never_writes_a_person_back_onto_an_erased_row(client, scim_headers, erased):
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "back@a.example",
        "name": {"givenName": "Back", "familyName": "Again"},
        "active": True,
    }
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)(
            f"/scim/v2/Users/{erased.pk}",
            data=json.dumps(body),
            content_type="application/scim+json",
            **scim_headers,
        )
        assert response.status_code == 404
    created = client.post(
        "/scim/v2/Users",
        data=json.dumps({**body, "userName": erased.email}),
        content_type="application/scim+json",
        **scim_headers,
    )
    assert created.status_code == 409
    with unscoped("test: the erased row"):
        row = User._base_manager.get(pk=erased.pk)
    assert row.is_erased and row.email == erased.email and row.first_name == ""
    assert not row.is_active
