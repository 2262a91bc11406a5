"""/privacy: public, generated from the running configuration, and right about its cookies."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.test import override_settings

from grove.accounts.models import User
from grove.core.testing.factories import TEST_PASSWORD
from grove.notifications.models import DigestFrequency
from grove.privacy.datamap import PERSONAL_CATEGORIES, Category
from grove.subprocessors.models import Subprocessor, SubprocessorStatus
from grove.tenancy.context import unscoped

from .test_policy_support import clear_registry, make_subprocessor, retire

pytestmark = pytest.mark.django_db


def _attribute_values(html: str, attribute: str) -> list[str]:
    return re.findall(rf'{attribute}="([^"]*)"', html)


def _policy(client, **headers) -> str:
    response = client.get("/privacy", **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_the_policy_needs_no_login_and_lists_the_personal_categories(client):
    html = _policy(client)
    assert _attribute_values(html, "data-category") == [
        c for c in Category.values if c in PERSONAL_CATEGORIES
    ]
    # Which tables hold them, readably.
    assert 'data-model="accounts.User"' in html
    assert "User: business email" in html
    assert 'data-model="sessions.Session"' in html


def test_adding_or_retiring_a_subprocessor_changes_the_policy(client, csm, security_manager):
    clear_registry()
    make_subprocessor(
        "mailer",
        "Mailer Co",
        categories=(Category.BUSINESS_EMAIL, Category.NAME),
        locations=({"name": "Ireland", "region": "Dublin"},),
        safeguards="EU only; SCCs for support access.",
    )
    html = _policy(client)
    assert _attribute_values(html, "data-subprocessor") == ["mailer"]
    assert "Mailer Co" in html and "Ireland, Dublin" in html
    assert "EU only; SCCs for support access." in html

    make_subprocessor("errors", "Error Catcher", categories=(Category.FUNCTIONAL_LOG,))
    assert _attribute_values(_policy(client), "data-subprocessor") == ["errors", "mailer"]

    retire(Subprocessor.objects.get(slug="mailer"), by=csm, decided_by=security_manager)
    html = _policy(client)
    assert _attribute_values(html, "data-subprocessor") == ["errors"]
    assert "Mailer Co" not in html


def test_a_proposed_or_approved_subprocessor_is_not_on_the_policy(client):
    clear_registry()
    make_subprocessor("later", "Later Inc", status=SubprocessorStatus.APPROVED)
    make_subprocessor("maybe", "Maybe Inc", status=SubprocessorStatus.PROPOSED)
    html = _policy(client)
    assert _attribute_values(html, "data-subprocessor") == []
    assert "No subprocessor is in use." in html


def test_a_retention_period_change_changes_the_policy(client):
    html = _policy(client)
    assert "then 90 more days for security purposes" in html
    assert "deleted 30 days after its end" in html
    with override_settings(GROVE_RETENTION_LOG_DAYS=180, GROVE_RETENTION_GRACE_DAYS=60):
        html = _policy(client)
    assert "then 180 more days for security purposes" in html
    assert "deleted 60 days after its end" in html
    assert "90 more days" not in html


def test_storage_contact_and_notice_period_come_from_the_settings(client):
    with override_settings(
        GROVE_OPERATOR_NAME="Sylva SAS",
        GROVE_PRIVACY_CONTACT="dpo@sylva.example",
        GROVE_HOSTING_PRIMARY_REGION="Azure, France Central (Paris)",
        GROVE_HOSTING_REPLICA_REGION="Azure, France South (Marseille)",
        GROVE_SUBPROCESSOR_NOTICE_DAYS=45,
    ):
        html = _policy(client)
    assert 'data-fact="primary-region">Azure, France Central (Paris)<' in html
    assert 'data-fact="replica-region">Azure, France South (Marseille)<' in html
    assert 'href="mailto:dpo@sylva.example"' in html
    assert "by Sylva SAS" in html
    assert "no sooner than 45 days after the notice" in html


def test_the_policy_links_the_public_request_form_and_the_subprocessor_list(client):
    html = _policy(client)
    assert 'href="/rights/request/"' in html
    assert 'href="/subprocessors"' in html
    assert 'href="/subprocessors.atom"' in html
    assert 'href="/subprocessors.json"' in html


@time_machine.travel(datetime.datetime(2026, 11, 3, 10, 0, tzinfo=datetime.UTC))
def test_the_policy_follows_the_reader_s_language(client):
    html = _policy(client, HTTP_ACCEPT_LANGUAGE="fr")
    assert '<html lang="fr">' in html
    assert "3 novembre 2026" in html  # dates in French
    html = _policy(client, HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="en">' in html
    assert "Nov. 3, 2026" in html


def test_a_signed_in_person_reads_it_in_their_profile_s_language(client, bob):
    with unscoped("test set-up"):
        User.objects.filter(pk=bob.pk).update(language="fr")
    client.force_login(bob)
    html = _policy(client, HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="fr">' in html


def test_every_cookie_the_app_sets_is_on_the_policy_and_nothing_more(client, alice):
    """Real requests: the login page, logging in, a form page, a saved form (its confirmation
    message), logging out. Every Set-Cookie name they send is listed on /privacy, and every
    cookie listed is one of them."""
    sent: set[str] = set()
    flags: dict[str, tuple[str, bool, bool]] = {}

    def record(response):
        for name, morsel in response.cookies.items():
            sent.add(name)
            if morsel.value:  # not a deletion: how the cookie is really set
                flags[name] = (
                    str(morsel["max-age"]),
                    bool(morsel["httponly"]),
                    bool(morsel["secure"]),
                )
        return response

    assert record(client.get("/accounts/login/")).status_code == 200
    response = record(
        client.post("/accounts/login/", {"username": alice.email, "password": TEST_PASSWORD})
    )
    assert response.status_code == 302
    assert record(client.get("/notifications/preferences")).status_code == 200
    response = record(
        client.post("/notifications/preferences", {"digest_frequency": DigestFrequency.WEEKLY})
    )
    assert response.status_code == 302
    assert record(client.get(response["Location"])).status_code == 200
    assert record(client.get("/privacy")).status_code == 200
    assert record(client.post("/accounts/logout/")).status_code == 302

    html = _policy(client)
    listed = set(_attribute_values(html, "data-cookie"))
    # The journey sets at least these (the messages cookie too while MESSAGE_STORAGE keeps
    # messages in a cookie, as Django's default does).
    assert {"sessionid", "csrftoken"} <= sent
    assert sent <= listed, f"cookies the app sets but the policy does not list: {sent - listed}"
    assert listed <= sent, f"cookies the policy lists but the app never set: {listed - sent}"
    # And as the policy describes them: lifetime, out of reach of scripts, HTTPS only.
    assert set(flags) == sent
    for name, (max_age, http_only, secure) in flags.items():
        row = re.search(
            rf'data-cookie="{name}" data-http-only="(\w+)" data-secure="(\w+)">.*?'
            r'data-lifetime="(\w+)"',
            html,
            re.DOTALL,
        )
        assert row, name
        assert row[1] == str(http_only).lower(), name
        assert row[2] == str(secure).lower(), name
        assert row[3] == (max_age or "session"), name


def test_the_cookie_lifetimes_come_from_the_settings(client):
    html = _policy(client)
    assert 'data-lifetime="43200">12 hours<' in html
    assert 'data-lifetime="31449600">364 days<' in html
    with override_settings(SESSION_COOKIE_AGE=2 * 86400):
        assert 'data-lifetime="172800">2 days<' in _policy(client)


def test_shared_caches_may_keep_the_anonymous_page_only(client, alice):
    response = client.get("/privacy")
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    assert "Cookie" not in response.cookies and not response.cookies
    client.force_login(alice)
    response = client.get("/privacy")
    assert response.status_code == 200
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]


def test_the_policy_only_answers_reads(client):
    assert client.post("/privacy").status_code == 405
