"""scim2-tester (PyPI) against the SCIM service served by a live server (pytest-django's
live_server): the RFC 7643/7644 checks it runs, and which pass.

The checks that cannot pass by design are listed in ``BY_DESIGN`` with the reason: we keep only
the allowed attributes, so a random ``externalId``, ``title`` (not one of the organization's
job types), ``addresses`` (not an ISO country), a ``userName`` that is not an email, or
``emails`` with a random type do not come back as sent. Any other failure fails this test.
Run with ``-s`` to see the full list.
"""

from __future__ import annotations

import pytest

from .scim_helpers import make_scim_token

pytest.importorskip("scim2_tester")
pytest.importorskip("httpx2")

BY_DESIGN = [
    # (check title, text in its reason): why it cannot pass.
    ("object_query_with_attributes", "'externalId'"),  # externalId is dropped, never stored
    ("object_list_with_attributes", "'externalId'"),
    ("search_with_attributes", "'externalId'"),
    ("check_add_attribute", "'externalId'"),
    ("check_replace_attribute", "'externalId'"),
    ("check_add_attribute", "'title'"),  # a random title is no job type of the organization
    ("check_replace_attribute", "'title'"),
    ("check_add_attribute", "'addresses'"),  # only an ISO country is kept
    ("check_replace_attribute", "'addresses'"),
    ("check_replace_attribute", "'userName'"),  # userName is the business email
    ("check_replace_attribute", "'emails'"),  # one work email, answered as type work, primary
    ("check_remove_attribute", "'active'"),  # active is always answered
]


def run_checks(base_url: str, token: str):
    from httpx2 import Client
    from scim2_client.engines.httpx2 import SyncSCIMClient
    from scim2_tester import check_server

    http = Client(
        base_url=base_url,
        headers={
            "Authorization": f"Bearer {token}",
            "X-Forwarded-Proto": "https",  # the live server speaks HTTP behind "the proxy"
        },
    )
    return check_server(SyncSCIMClient(http), raise_exceptions=False)


def describe(results) -> list[str]:
    return [
        f"{r.status.name:<10} {r.title} {getattr(r, 'resource_type', '') or ''}: {r.reason or ''}"
        for r in results
    ]


def by_design(result) -> bool:
    return any(result.title == title and text in (result.reason or "") for title, text in BY_DESIGN)


@pytest.mark.django_db(transaction=True)
def test_scim2_tester_checks(live_server, bob, org_a):
    from scim2_tester import Status

    token = make_scim_token(bob, org_a, name="scim2-tester")
    results = run_checks(f"{live_server.url}/scim/v2", token)
    print("\n".join(describe(results)))  # noqa: T201 -- the report, shown with -s
    passing = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}
    unexpected = [r for r in results if r.status not in passing and not by_design(r)]
    assert not unexpected, describe(unexpected)
    titles = {r.title for r in results if r.status == Status.SUCCESS}
    for title in (
        "service_provider_config_endpoint",
        "query_all_resource_types",
        "query_all_schemas",
        "random_url",
        "object_creation",
        "object_query",
        "object_query_without_id",
        "object_replacement",
        "object_deletion",
        "check_add_attribute",
        "check_replace_attribute",
    ):
        assert title in titles, title
