"""What SCIM drops is never kept: not in any table, not in the logs. And on PostgreSQL (row-level
security on), a token sees only its own organization."""

from __future__ import annotations

import logging

import pytest
from django.apps import apps

from grove.tenancy.context import unscoped

from .scim_helpers import ENTERPRISE, Scim, make_scim_token, okta_user, patch

pytestmark = pytest.mark.django_db

PHONE = "+33 6 98 76 54 31"
EMPLOYEE_NUMBER = "EMP-7731-QX"
PHOTO = "https://photos.example/p/zq81-dana.jpg"
EXTERNAL_ID = "okta-ext-55Z91"
DROPPED = (PHONE, EMPLOYEE_NUMBER, PHOTO, EXTERNAL_ID, "Dee-nickname")


def every_stored_text() -> str:
    """Every value of every column of every table (through the models, RLS bypassed)."""
    chunks = []
    with unscoped("test: search the whole database for a dropped value"):
        for model in apps.get_models(include_auto_created=True):
            names = [f.attname for f in model._meta.concrete_fields]
            for row in model._base_manager.values_list(*names):
                chunks.append(repr(row))
    return "\n".join(chunks)


def test_dropped_attributes_are_never_stored_or_logged(client, bob, org_a, caplog):
    caplog.set_level(logging.DEBUG)
    scim = Scim(client, make_scim_token(bob, org_a))
    body = okta_user(
        "dana@a.example",
        externalId=EXTERNAL_ID,
        nickName="Dee-nickname",
        phoneNumbers=[{"value": PHONE, "type": "mobile"}],
        photos=[{"value": PHOTO, "type": "photo"}],
        **{
            "schemas": [okta_user("x")["schemas"][0], ENTERPRISE],
            ENTERPRISE: {"employeeNumber": EMPLOYEE_NUMBER, "department": "Retail"},
        },
    )
    response = scim.post("Users", body)
    assert response.status_code == 201, response.content
    user_id = response.json()["id"]
    response = scim.patch(
        f"Users/{user_id}",
        patch(
            {"op": "Add", "path": 'phoneNumbers[type eq "work"].value', "value": PHONE},
            {"op": "Replace", "path": f"{ENTERPRISE}:employeeNumber", "value": EMPLOYEE_NUMBER},
            {"op": "replace", "value": {"photos": [{"value": PHOTO}], "externalId": EXTERNAL_ID}},
        ),
    )
    assert response.status_code == 200
    response = scim.put(f"Users/{user_id}", body)
    assert response.status_code == 200
    # Errors, too, never echo a value.
    bad = scim.post("Users", okta_user(PHONE, phoneNumbers=[{"value": PHONE}]))
    assert bad.status_code == 400 and PHONE not in bad.content.decode()
    for answer in (response.content.decode(), scim.get("Users").content.decode()):
        for value in DROPPED:
            assert value not in answer

    stored = every_stored_text()
    assert "dana@a.example" in stored  # the search does see what we keep
    for value in DROPPED:
        assert value not in stored, value
        assert value not in caplog.text, value


@pytest.mark.postgres
def test_on_postgresql_a_token_sees_only_its_organization(client, alice, bob, charlie, org_b):
    from grove.core.testing.factories import UserFactory

    manager_b = UserFactory(organization=org_b, org_role="manager", email="mb@b.example")
    scim_b = Scim(client, make_scim_token(manager_b, org_b))
    names = sorted(r["userName"] for r in scim_b.get("Users").json()["Resources"])
    assert names == ["charlie@b.example", "mb@b.example"]
    assert scim_b.get(f"Users/{alice.pk}").status_code == 404
    assert scim_b.get("Users", filter='userName eq "alice@a.example"').json()["totalResults"] == 0
    assert scim_b.post("Users", okta_user("alice@a.example")).status_code == 409
    response = scim_b.patch(
        f"Users/{alice.pk}", patch({"op": "replace", "value": {"active": False}})
    )
    assert response.status_code == 404
    response = scim_b.post("Users", okta_user("new@b.example"))
    assert response.status_code == 201, response.content
    scim_a = Scim(client, make_scim_token(bob, alice.organization))
    assert scim_a.get(f"Users/{response.json()['id']}").status_code == 404
