"""Who may call the API: the browser session (CSRF on unsafe methods) or a bearer token acting
as its member; anything else is a 401. The schema and the docs page are public."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from grove.accounts.models import User
from grove.api.auth import parse_token, token_user
from grove.api.models import ApiToken
from grove.core.testing.factories import JobTypeFactory, TopicFactory
from grove.core.testing.fixtures import HttpsClient
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

from .conftest import make_token

pytestmark = pytest.mark.django_db

TOPICS = "/api/topics"


def token_row(secret: str) -> ApiToken:
    prefix = secret.split("_")[1]
    with unscoped("test: read the token"):
        return ApiToken.objects.get(prefix=prefix)


@pytest.fixture
def topics(org_a, org_b):
    return {
        "a": TopicFactory(organization=org_a, name="Merchandising"),
        "b": TopicFactory(organization=org_b, name="Secret B topic"),
    }


# --- The schema and the docs --------------------------------------------------------------------


def test_the_schema_is_served_as_json_and_lists_the_paths(client):
    response = client.get("/api/schema")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    schema = response.json()
    assert schema["info"]["title"] == "Grove API"
    for path in (
        "/api/practices",
        "/api/practices/search",
        "/api/practices/{practice_id}",
        "/api/practices/{practice_id}/reactions/{kind}",
        "/api/practices/{practice_id}/comments",
        "/api/comments/{comment_id}",
        "/api/attachments/{attachment_id}",
        "/api/topics",
        "/api/job-types/{job_type_id}",
        "/api/moderation",
        "/api/me/bookmarks",
        "/api/members/{user_id}",
    ):
        assert path in schema["paths"], path
    assert set(schema["components"]["securitySchemes"]) == {"BearerTokenAuth", "MemberSessionAuth"}


def test_the_docs_page_loads_nothing_from_the_internet(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, "the page loads its assets"
    assert not [s for s in sources if s.startswith(("http:", "https:", "//"))]


# --- No authentication --------------------------------------------------------------------------


def test_a_request_without_authentication_is_a_401(api, topics):
    response = api.get(TOPICS)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication required."}
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer nonsense",
        "Bearer grove_",
        "Bearer grove_abc",
        "Bearer grove_deadbeef0000_" + "x" * 43,
        "Bearer " + "grove_" + "a" * 5000,
        "Basic YWxpY2U6cGFzcw==",
    ],
)
def test_a_malformed_or_unknown_token_is_a_401(client, topics, header):
    response = client.get(TOPICS, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401


def test_a_token_with_a_wrong_secret_is_a_401(api, alice_token, topics):
    forged = alice_token[:-4] + ("AAAA" if not alice_token.endswith("AAAA") else "BBBB")
    assert api.get(TOPICS, token=forged).status_code == 401


def test_operator_staff_get_no_api(staff_client, csm, topics):
    client = staff_client(csm)
    assert client.get(TOPICS).status_code == 401


# --- Session and token --------------------------------------------------------------------------


def test_the_session_authenticates_a_member(client, alice, topics):
    client.force_login(alice)
    response = client.get(TOPICS)
    assert response.status_code == 200
    assert [t["name"] for t in response.json()] == ["Merchandising"]


def test_a_token_acts_as_its_member_in_their_organization(api, alice_token, topics):
    response = api.get(TOPICS, token=alice_token)
    assert response.status_code == 200
    assert response.json() == [{"id": str(topics["a"].pk), "name": "Merchandising"}]


def test_charlies_token_sees_only_organization_b(api, charlie_token, topics):
    response = api.get(TOPICS, token=charlie_token)
    assert [t["name"] for t in response.json()] == ["Secret B topic"]


def test_a_bad_token_is_refused_even_beside_a_valid_session(client, alice, topics):
    client.force_login(alice)
    response = client.get(TOPICS, HTTP_AUTHORIZATION="Bearer grove_0000_nope")
    assert response.status_code == 401


def test_a_revoked_token_is_a_401(api, alice, alice_token, topics):
    assert api.get(TOPICS, token=alice_token).status_code == 200
    row = token_row(alice_token)
    with unscoped("test set-up"):
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
    assert api.get(TOPICS, token=alice_token).status_code == 401


def test_an_expired_token_is_a_401(api, alice, topics):
    secret = make_token(alice, expires_at=timezone.now() + datetime.timedelta(days=30))
    assert api.get(TOPICS, token=secret).status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=31)):
        assert api.get(TOPICS, token=secret).status_code == 401


def test_a_deactivated_members_token_is_a_401(api, alice, alice_token, topics):
    with unscoped("test set-up"):
        User.objects.filter(pk=alice.pk).update(is_active=False)
    assert api.get(TOPICS, token=alice_token).status_code == 401


def test_an_ended_organizations_tokens_are_a_401(api, org_a, alice_token, topics):
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_a.pk).update(status=Organization.Status.ENDED)
    assert api.get(TOPICS, token=alice_token).status_code == 401


def test_only_the_hash_of_the_secret_is_stored(alice_token):
    row = token_row(alice_token)
    _, secret = parse_token(alice_token)
    assert alice_token.startswith(f"grove_{row.prefix}_")
    assert secret not in (row.secret_hash, row.prefix, row.name)
    assert len(row.secret_hash) == 64


def test_last_used_is_written_at_most_once_a_minute(alice, alice_token):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert token_user(alice_token) == alice
        assert token_row(alice_token).last_used_at == start
    with time_machine.travel(start + datetime.timedelta(seconds=30), tick=False):
        token_user(alice_token)
        assert token_row(alice_token).last_used_at == start
    later = start + datetime.timedelta(seconds=61)
    with time_machine.travel(later, tick=False):
        token_user(alice_token)
        assert token_row(alice_token).last_used_at == later


def test_a_recently_used_token_costs_one_query(alice, alice_token, django_assert_num_queries):
    token_user(alice_token)
    with django_assert_num_queries(1):
        assert token_user(alice_token) == alice


# --- CSRF ---------------------------------------------------------------------------------------


def _csrf_client(user) -> Client:
    client = HttpsClient(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_a_session_post_without_the_csrf_token_is_refused(bob):
    client = _csrf_client(bob)
    response = client.post(TOPICS, data={"name": "Safety"}, content_type="application/json")
    assert response.status_code == 403
    with unscoped("test: read topics"):
        from grove.practices.models import Topic

        assert not Topic.objects.filter(name="Safety").exists()


def test_a_session_post_with_the_csrf_token_passes(bob):
    client = _csrf_client(bob)
    client.get("/api/tokens/")  # the page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        TOPICS,
        data={"name": "Safety"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
        HTTP_ORIGIN="https://testserver",
    )
    assert response.status_code == 201, response.content


def test_a_token_post_needs_no_csrf_token(bob, bob_token):
    client = HttpsClient(enforce_csrf_checks=True)
    response = client.post(
        TOPICS,
        data={"name": "Safety"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {bob_token}",
    )
    assert response.status_code == 201, response.content


def test_an_anonymous_post_is_a_401_not_a_csrf_refusal():
    client = HttpsClient(enforce_csrf_checks=True)
    response = client.post(TOPICS, data={"name": "x"}, content_type="application/json")
    assert response.status_code == 401


# --- PostgreSQL: the token's organization and nothing else ---------------------------------------


@pytest.mark.postgres
def test_on_postgres_a_token_request_runs_under_rls_as_its_organization(
    api, alice_token, charlie_token, org_a, org_b, topics
):
    JobTypeFactory(organization=org_b, name="B job")
    a = api.get(TOPICS, token=alice_token).json()
    b = api.get(TOPICS, token=charlie_token).json()
    assert [t["name"] for t in a] == ["Merchandising"]
    assert [t["name"] for t in b] == ["Secret B topic"]
    jobs = api.get("/api/job-types", token=alice_token).json()
    assert "B job" not in [j["name"] for j in jobs]
