"""The SCIM /Users endpoints: create, read, list with filters and pages, replace, patch in the
shapes Okta and Entra ID send, delete; errors as SCIM documents; one organization per token."""

from __future__ import annotations

import pytest

from grove.accounts.models import User
from grove.audit.models import AuditAction, AuditEvent
from grove.audit.verify import verify_chains
from grove.core.testing.factories import JobTypeFactory, UserFactory
from grove.onboarding.models import ScimToken
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

from .scim_helpers import (
    ENTERPRISE,
    ERROR,
    PATCH_OP,
    USER_SCHEMA,
    Scim,
    make_scim_token,
    okta_user,
    patch,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scim(client, bob, org_a):
    return Scim(client, make_scim_token(bob, org_a))


@pytest.fixture
def scim_b(client, charlie, org_b):
    manager = UserFactory(organization=org_b, org_role="manager", email="mb@b.example")
    return Scim(client, make_scim_token(manager, org_b, name="Entra"))


def user_row(email: str) -> User:
    with unscoped("test"):
        return User.objects.select_related("job_type").get(email=email)


def events(action=None, object_type="scim_user"):
    with unscoped("test"):
        qs = AuditEvent.objects.filter(object_type=object_type)
        if action is not None:
            qs = qs.filter(action=action)
        return list(qs.order_by("occurred_at", "pk"))


def assert_error(response, status: int, scim_type: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    if scim_type is not None:
        assert body["scimType"] == scim_type
    return body


# --- Authentication --------------------------------------------------------------------------


def test_it_refuses_a_request_without_a_token(client, alice):
    assert_error(Scim(client, None).get("Users"), 401)
    assert_error(Scim(client, "grove_scim_abc_def").get("Users"), 401)
    assert_error(Scim(client, "not-a-token").get(f"Users/{alice.pk}"), 401)


def test_it_refuses_a_revoked_token(client, bob, org_a):
    token = make_scim_token(bob, org_a)
    with unscoped("test"):
        ScimToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    response = Scim(client, token).get("Users")
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_refuses_a_wrong_secret_with_a_known_prefix(client, bob, org_a):
    token = make_scim_token(bob, org_a)
    assert_error(Scim(client, token[:-2] + "xx").get("Users"), 401)


def test_it_refuses_the_token_of_an_ended_organization(client, bob, org_a):
    token = make_scim_token(bob, org_a)
    with unscoped("test"):
        Organization.objects.filter(pk=org_a.pk).update(status=Organization.Status.ENDED)
    assert_error(Scim(client, token).get("Users"), 401)


def test_it_touches_last_used_at_at_most_once_a_minute(scim, time_machine):
    time_machine.move_to("2026-03-01T10:00:00Z", tick=False)
    scim.get("Users")
    with unscoped("test"):
        first = ScimToken.objects.get().last_used_at
    time_machine.move_to("2026-03-01T10:00:30Z", tick=False)
    scim.get("Users")
    with unscoped("test"):
        assert ScimToken.objects.get().last_used_at == first
    time_machine.move_to("2026-03-01T10:01:30Z", tick=False)
    scim.get("Users")
    with unscoped("test"):
        assert ScimToken.objects.get().last_used_at > first


# --- Create ----------------------------------------------------------------------------------


def test_okta_creates_a_user_keeping_only_the_allowed_attributes(scim, org_a, mailoutbox):
    response = scim.post("Users", okta_user("Dana.Doe@A.example"))
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    user = user_row("dana.doe@a.example")
    assert body["id"] == str(user.pk)
    assert body["userName"] == "dana.doe@a.example"
    assert body["name"] == {"givenName": "Dana", "familyName": "Doe"}
    assert body["emails"] == [{"value": "dana.doe@a.example", "type": "work", "primary": True}]
    assert body["active"] is True
    assert body["meta"]["resourceType"] == "User"
    assert body["meta"]["location"].endswith(f"/scim/v2/Users/{user.pk}")
    assert response["Location"] == body["meta"]["location"]
    for dropped in ("externalId", "displayName", "locale", "password", "groups"):
        assert dropped not in body
    assert user.organization_id == org_a.pk and user.org_role == "member"
    assert not user.has_usable_password()  # Okta's password is dropped
    events_ = events(AuditAction.CREATE)
    assert [e.object_ids for e in events_] == [[str(user.pk)]]
    assert events_[0].details["status"] == 201


def test_it_maps_title_and_work_address_country(scim, org_a):
    JobTypeFactory(organization=org_a, name="Cashier")
    body = okta_user(
        "eve@a.example",
        title="cashier",
        addresses=[
            {"type": "home", "country": "ES", "streetAddress": "1 Home Road"},
            {"type": "work", "country": "fr", "locality": "Lyon"},
        ],
    )
    response = scim.post("Users", body)
    assert response.status_code == 201, response.content
    user = user_row("eve@a.example")
    assert user.country == "FR"
    assert user.job_type.name == "Cashier"
    assert response.json()["title"] == "Cashier"
    assert response.json()["addresses"] == [{"type": "work", "country": "FR", "primary": True}]


def test_an_unknown_job_type_or_country_is_left_empty(scim):
    body = okta_user("fay@a.example", title="Astronaut", addresses=[{"country": "Atlantis"}])
    response = scim.post("Users", body)
    assert response.status_code == 201, response.content
    user = user_row("fay@a.example")
    assert user.job_type_id is None and user.country == ""
    assert "title" not in response.json() and "addresses" not in response.json()


def test_creating_an_inactive_user(scim):
    response = scim.post("Users", okta_user("gus@a.example", active="False"))
    assert response.status_code == 201, response.content
    assert response.json()["active"] is False
    assert user_row("gus@a.example").is_active is False


def test_an_existing_userName_is_a_409(scim, alice):
    assert_error(scim.post("Users", okta_user("ALICE@a.example")), 409, "uniqueness")


def test_an_email_of_another_organization_is_a_409(scim, charlie):
    assert_error(scim.post("Users", okta_user("charlie@b.example")), 409, "uniqueness")
    assert user_row("charlie@b.example").organization_id == charlie.organization_id


def test_invalid_bodies_are_400(scim):
    assert_error(scim.post("Users", okta_user("not-an-email")), 400, "invalidValue")
    assert_error(scim.post("Users", okta_user("h@a.example", name={})), 400, "invalidValue")
    assert_error(scim.post("Users", ["a list"]), 400, "invalidSyntax")
    response = scim.client.post(
        "/scim/v2/Users",
        data="{not json",
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {scim.token}",
    )
    assert_error(response, 400, "invalidSyntax")


def test_plain_application_json_is_accepted(scim):
    response = scim.post("Users", okta_user("ivy@a.example"), content_type="application/json")
    assert response.status_code == 201


# --- Read and list ---------------------------------------------------------------------------


def test_get_a_user(scim, alice):
    response = scim.get(f"Users/{alice.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["schemas"] == [USER_SCHEMA]
    assert body["userName"] == "alice@a.example"
    assert body["title"] == "Store staff"
    [event] = events(AuditAction.VIEW)
    assert event.object_ids == [str(alice.pk)]
    assert event.actor_id is None
    assert set(event.details) == {"scim_token", "status"}


def test_another_organizations_user_or_a_forged_id_is_a_404(scim_b, alice):
    body = assert_error(scim_b.get(f"Users/{alice.pk}"), 404)
    assert "alice" not in str(body).lower()
    assert_error(scim_b.patch(f"Users/{alice.pk}", patch({"op": "replace", "value": {}})), 404)
    assert_error(scim_b.delete(f"Users/{alice.pk}"), 404)
    assert_error(scim_b.put(f"Users/{alice.pk}", okta_user("x@b.example")), 404)
    assert_error(scim_b.get("Users/not-a-uuid"), 404)
    assert user_row("alice@a.example").is_active


def test_list_is_this_organizations_users_in_pages(scim, alice, bob, charlie):
    for i in range(3):
        UserFactory(organization=alice.organization, email=f"p{i}@a.example")
    response = scim.get("Users", startIndex=2, count=2)
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert body["totalResults"] == 5
    assert body["startIndex"] == 2 and body["itemsPerPage"] == 2
    assert len(body["Resources"]) == 2
    all_names = [r["userName"] for r in scim.get("Users").json()["Resources"]]
    assert "charlie@b.example" not in all_names and len(all_names) == 5
    last = scim.get("Users", startIndex=5, count=10).json()
    assert last["itemsPerPage"] == 1
    assert scim.get("Users", count=0).json()["Resources"] == []
    assert scim.get("Users", startIndex=-3).json()["startIndex"] == 1
    assert_error(scim.get("Users", count="many"), 400, "invalidValue")
    listed = events(AuditAction.LIST)
    assert len(listed[0].object_ids) == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('userName eq "ALICE@a.example"', ["alice@a.example"]),
        ('emails.value eq "bob@a.example"', ["bob@a.example"]),
        ('emails[value eq "bob@a.example"]', ["bob@a.example"]),
        ('externalId eq "00ujl29u0le5T6Aj10h7"', []),
        ("active eq true", ["alice@a.example", "bob@a.example"]),
        ("active eq false", []),
        ('userName eq "alice@a.example" and active eq true', ["alice@a.example"]),
        ('userName eq "alice@a.example" or userName eq "bob@a.example"', None),
        ('userName sw "BO"', ["bob@a.example"]),
        ('name.familyName eq "anders"', ["alice@a.example"]),
        ('not (userName eq "alice@a.example")', ["bob@a.example"]),
        ('userName eq "charlie@b.example"', []),
    ],
)
def test_filters(scim, alice, bob, charlie, query, expected):
    response = scim.get("Users", filter=query)
    assert response.status_code == 200, response.content
    names = sorted(r["userName"] for r in response.json()["Resources"])
    assert names == (expected if expected is not None else ["alice@a.example", "bob@a.example"])


def test_filter_by_id(scim, alice, charlie):
    assert scim.get("Users", filter=f'id eq "{alice.pk}"').json()["totalResults"] == 1
    assert scim.get("Users", filter=f'id eq "{charlie.pk}"').json()["totalResults"] == 0
    assert scim.get("Users", filter='id eq "nope"').json()["totalResults"] == 0


@pytest.mark.parametrize(
    "query",
    [
        'userName eq "unterminated',
        "userName eq",
        'phoneNumbers eq "+33 6"',
        'userName zz "a"',
        "active eq 1",
        '(userName eq "a"',
        'userName eq "a" and',
        'meta.created gt "2020-01-01"',
        "__import__('os')",
        'userName eq "a" ; drop table',
    ],
)
def test_unsupported_or_malformed_filters_are_400_invalid_filter(scim, alice, query):
    assert_error(scim.get("Users", filter=query), 400, "invalidFilter")


def test_string_escapes_in_filters(scim, alice):
    response = scim.get("Users", filter='userName eq "al\\u0069ce@a.example"')
    assert response.json()["totalResults"] == 1


def test_attributes_and_excluded_attributes(scim, alice):
    body = scim.get(f"Users/{alice.pk}", attributes="userName,name.givenName").json()
    assert set(body) == {"schemas", "id", "userName", "name"}
    assert body["name"] == {"givenName": "Alice"}
    body = scim.get(f"Users/{alice.pk}", excludedAttributes="emails,meta").json()
    assert "emails" not in body and "meta" not in body and body["userName"]


# --- Replace (PUT) and patch -----------------------------------------------------------------


def test_put_replaces_the_attributes(scim, alice, org_a):
    JobTypeFactory(organization=org_a, name="Cashier")
    body = okta_user(
        "alice.new@a.example",
        name={"givenName": "Alicia", "familyName": "Anders"},
        title="Cashier",
        addresses=[{"type": "work", "country": "IT"}],
        phoneNumbers=[{"value": "+33 6 12 34 56 78", "type": "mobile"}],
    )
    response = scim.put(f"Users/{alice.pk}", body)
    assert response.status_code == 200, response.content
    user = user_row("alice.new@a.example")
    assert user.pk == alice.pk
    assert (user.first_name, user.country, user.job_type.name) == ("Alicia", "IT", "Cashier")
    assert "phoneNumbers" not in response.json()
    # A replace without title nor address clears them.
    scim.put(f"Users/{alice.pk}", okta_user("alice.new@a.example"))
    user = user_row("alice.new@a.example")
    assert user.job_type_id is None and user.country == ""
    assert [e.object_ids for e in events(AuditAction.UPDATE)] == [[str(alice.pk)]] * 2


def test_put_to_an_email_in_use_is_a_409_and_changes_nothing(scim, alice, bob):
    assert_error(scim.put(f"Users/{alice.pk}", okta_user("bob@a.example")), 409, "uniqueness")
    assert user_row("alice@a.example").first_name == "Alice"


def test_okta_deactivates_with_a_pathless_replace(scim, alice):
    response = scim.patch(f"Users/{alice.pk}", patch({"op": "replace", "value": {"active": False}}))
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    assert user_row("alice@a.example").is_active is False
    with unscoped("test"):
        assert AuditEvent.objects.filter(action=AuditAction.USER_DEACTIVATED).count() == 1
    scim.patch(f"Users/{alice.pk}", patch({"op": "replace", "value": {"active": True}}))
    assert user_row("alice@a.example").is_active is True


def test_okta_pathless_replace_of_names(scim, alice):
    operation = {
        "op": "replace",
        "value": {
            "name": {"givenName": "Alina"},
            "userName": "alice@a.example",
            "nickName": "Ali",
            "phoneNumbers": [{"value": "+1 555 0100"}],
        },
    }
    assert scim.patch(f"Users/{alice.pk}", patch(operation)).status_code == 200
    user = user_row("alice@a.example")
    assert (user.first_name, user.last_name) == ("Alina", "Anders")


def test_entra_patch_with_capitalised_ops_and_string_booleans(scim, alice, org_a):
    JobTypeFactory(organization=org_a, name="Buyer")
    body = patch(
        {"op": "Replace", "path": "name.givenName", "value": "Alix"},
        {"op": "Replace", "path": "name.familyName", "value": "Andersen"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "alix@a.example"},
        {"op": "Add", "path": "title", "value": "Buyer"},
        {"op": "Add", "path": 'addresses[type eq "work"].country', "value": "BE"},
        {"op": "Add", "path": f"{ENTERPRISE}:employeeNumber", "value": "E-991"},
        {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Retail"},
        {"op": "Replace", "path": f"{USER_SCHEMA}:displayName", "value": "Alix A"},
        {"op": "Replace", "path": "active", "value": "False"},
    )
    response = scim.patch(f"Users/{alice.pk}", body)
    assert response.status_code == 200, response.content
    user = user_row("alix@a.example")
    assert (user.first_name, user.last_name, user.country) == ("Alix", "Andersen", "BE")
    assert user.job_type.name == "Buyer"
    assert user.is_active is False
    body = response.json()
    assert body["userName"] == "alix@a.example" and body["active"] is False
    assert "displayName" not in body and ENTERPRISE not in body


def test_entra_urn_prefixed_username_and_remove(scim, alice):
    body = patch(
        {"op": "Replace", "path": f"{USER_SCHEMA}:userName", "value": "ALICE2@a.example"},
        {"op": "Remove", "path": "title"},
        {"op": "remove", "path": "phoneNumbers"},
    )
    assert scim.patch(f"Users/{alice.pk}", body).status_code == 200
    user = user_row("alice2@a.example")
    assert user.job_type_id is None


def test_patch_errors(scim, alice):
    url = f"Users/{alice.pk}"
    assert_error(scim.patch(url, {"schemas": [PATCH_OP], "Operations": []}), 400, "invalidSyntax")
    assert_error(scim.patch(url, patch({"op": "move", "path": "title"})), 400, "invalidSyntax")
    assert_error(scim.patch(url, patch({"op": "remove"})), 400, "noTarget")
    assert_error(
        scim.patch(url, patch({"op": "replace", "path": "active", "value": "maybe"})),
        400,
        "invalidValue",
    )
    assert_error(
        scim.patch(url, patch({"op": "remove", "path": "name.givenName"})), 400, "invalidValue"
    )
    assert_error(
        scim.patch(url, patch({"op": "add", "path": "emails[type eq", "value": "x"})),
        400,
        "invalidPath",
    )
    assert user_row("alice@a.example").first_name == "Alice"


# --- Delete ----------------------------------------------------------------------------------


def test_delete_deactivates_and_deprovisions(scim, alice):
    response = scim.delete(f"Users/{alice.pk}")
    assert response.status_code == 204
    user = user_row("alice@a.example")
    assert user.is_active is False and user.deprovisioned_at is not None
    assert_error(scim.get(f"Users/{alice.pk}"), 404)
    names = [r["userName"] for r in scim.get("Users").json()["Resources"]]
    assert "alice@a.example" not in names
    assert_error(scim.delete(f"Users/{alice.pk}"), 404)
    assert [e.object_ids for e in events(AuditAction.DELETE)][0] == [str(alice.pk)]


def test_a_deprovisioned_user_can_be_provisioned_again(scim, alice):
    scim.delete(f"Users/{alice.pk}")
    response = scim.post("Users", okta_user("alice@a.example"))
    assert response.status_code == 201, response.content
    user = user_row("alice@a.example")
    assert user.pk == alice.pk and user.is_active and user.deprovisioned_at is None


# --- Method and audit ------------------------------------------------------------------------


def test_an_unsupported_method_is_a_405(scim, alice):
    assert_error(scim.delete("Users"), 405)


def test_every_call_is_recorded_with_ids_only(scim, alice, bob):
    scim.get("Users")
    scim.get(f"Users/{alice.pk}")
    scim.post("Users", okta_user("jo@a.example"))
    scim.patch(f"Users/{alice.pk}", patch({"op": "replace", "value": {"title": ""}}))
    scim.delete(f"Users/{alice.pk}")
    scim.get("Users", filter="bad filter")
    recorded = events()
    assert [e.action for e in recorded] == [
        AuditAction.LIST,
        AuditAction.VIEW,
        AuditAction.CREATE,
        AuditAction.UPDATE,
        AuditAction.DELETE,
        AuditAction.LIST,
    ]
    with unscoped("test"):
        token_id = str(ScimToken.objects.get().pk)
    assert {e.details["scim_token"] for e in recorded} == {token_id}
    assert recorded[-1].details["status"] == 400
    for event in recorded:
        assert "@" not in str(event.details) and "@" not in str(event.object_ids)
    assert scim.put(f"Users/{bob.pk}", okta_user("alice@a.example")).status_code == 409
    assert verify_chains(organization=alice.organization).ok


def test_search_with_a_post(scim, alice, bob):
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'userName eq "alice@a.example"',
        "attributes": ["userName"],
        "startIndex": 1,
        "count": 10,
    }
    for path in ("Users/.search", ".search"):
        response = scim.post(path, body)
        assert response.status_code == 200, response.content
        [resource] = response.json()["Resources"]
        assert set(resource) == {"schemas", "id", "userName"}
    assert_error(scim.post(".search", {"filter": "nope"}), 400, "invalidFilter")
    assert_error(scim.post(".search", {"sortBy": "userName"}), 400, "invalidValue")


def test_invitations_new_active_users_and_on_activation_only(scim):
    from grove.accounts.models import Invitation

    def invitations(email):
        with unscoped("test"):
            return Invitation.objects.filter(user__email=email).count()

    scim.post("Users", okta_user("kim@a.example"))
    assert invitations("kim@a.example") == 1
    response = scim.post("Users", okta_user("lou@a.example", active=False))
    assert invitations("lou@a.example") == 0
    user_id = response.json()["id"]
    on = patch({"op": "replace", "value": {"active": True}})
    off = patch({"op": "replace", "value": {"active": False}})
    scim.patch(f"Users/{user_id}", on)
    assert invitations("lou@a.example") == 1
    scim.patch(f"Users/{user_id}", off)
    scim.patch(f"Users/{user_id}", on)
    assert invitations("lou@a.example") == 1  # the pending one still stands
