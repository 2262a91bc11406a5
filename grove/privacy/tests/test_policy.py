"""policy.collect(): every fact comes from the data map, the registry, the rules and settings."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings
from django.urls import path, resolve
from django.views.i18n import set_language

from grove.privacy import policy
from grove.privacy.datamap import PERSONAL_CATEGORIES, Category, inventory
from grove.privacy.retention import rules
from grove.subprocessors.models import Subprocessor, SubprocessorStatus

from .test_policy_support import announce_addition, clear_registry, make_subprocessor, retire

pytestmark = pytest.mark.django_db

# A site that lets people choose their language (Django's set_language view): used as
# ROOT_URLCONF by the language cookie's test.
urlpatterns = [path("i18n/setlang/", set_language, name="set_language")]


def test_every_personal_category_and_app_is_explained():
    # A category made personal, or an app that starts holding personal data, without the
    # sentence that explains it to people fails here.
    facts = policy.collect()
    assert facts.unexplained == ()
    assert set(policy.CATEGORY_LABELS) == set(Category.values)


def test_the_categories_are_the_data_maps_personal_ones_with_every_field_holding_them():
    facts = policy.collect()
    assert [c.code for c in facts.categories] == [
        c for c in Category.values if c in PERSONAL_CATEGORIES
    ]
    listed = {
        (holder.model, c.code): len(holder.fields) for c in facts.categories for holder in c.holders
    }
    expected: dict[tuple[str, str], int] = {}
    for entry in inventory():
        if entry.personal:
            key = (entry.model, entry.category)
            expected[key] = expected.get(key, 0) + 1
    assert listed == expected
    email = next(c for c in facts.categories if c.code == Category.BUSINESS_EMAIL)
    assert any(h.model == "accounts.User" for h in email.holders)


def test_the_subprocessors_are_the_registry_s_active_ones(security_manager, csm):
    clear_registry()
    make_subprocessor(
        "mailer",
        "Mailer",
        categories=(Category.NAME, Category.BUSINESS_EMAIL),
        locations=({"name": "Ireland", "region": "Dublin"}, {"name": "Netherlands"}),
    )
    make_subprocessor("old", "Old host", status=SubprocessorStatus.RETIRED)
    make_subprocessor("soon", "Soon", status=SubprocessorStatus.APPROVED)
    facts = policy.collect()
    assert [s.slug for s in facts.subprocessors] == ["mailer"]
    mailer = facts.subprocessors[0]
    # Categories in the data map's order, whatever the registry's order.
    assert mailer.categories == (Category.BUSINESS_EMAIL, Category.NAME)
    assert mailer.locations == ("Ireland, Dublin", "Netherlands")
    # Recipients of each activity: the subprocessors sharing one of its categories.
    accounts = next(a for a in facts.activities if a.app_label == "accounts")
    sessions = next(a for a in facts.activities if a.app_label == "sessions")
    assert accounts.recipients == ("Mailer",)
    assert sessions.recipients == ()

    retire(Subprocessor.objects.get(slug="mailer"), by=csm, decided_by=security_manager)
    assert policy.collect().subprocessors == ()
    assert (
        next(a for a in policy.collect().activities if a.app_label == "accounts").recipients == ()
    )


def test_announced_changes_are_collected(csm, security_manager):
    clear_registry()
    announce_addition(
        "newmail",
        "New Mail",
        by=csm,
        decided_by=security_manager,
        effective_on=datetime.date(2027, 1, 15),
    )
    facts = policy.collect()
    assert [c.subprocessor_name for c in facts.announced_changes] == ["New Mail"]


@override_settings(GROVE_RETENTION_GRACE_DAYS=45, GROVE_RETENTION_LOG_DAYS=120)
def test_retention_comes_from_the_rules():
    facts = policy.collect()
    by_code = {r.code: r for r in facts.retention}
    assert by_code["until-erased"].days_after_contract_end == 45
    assert by_code["contract+90d"].days_after_contract_end == 120
    assert "120 more days" in by_code["contract+90d"].description
    assert by_code["until-erased"].description == str(rules()["until-erased"].description)
    # Only the rules personal data uses: system data is not a retention of the policy.
    assert "system" not in by_code


@override_settings(MESSAGE_STORAGE="django.contrib.messages.storage.fallback.FallbackStorage")
def test_cookies_follow_the_settings():
    names = [c.name for c in policy.cookies()]
    assert names == ["sessionid", "csrftoken", "messages"]
    session = policy.cookies()[0]
    assert session.lifetime_seconds == 60 * 60 * 12
    assert session.http_only and session.same_site == "Lax"
    with override_settings(
        SESSION_COOKIE_NAME="grove_session",
        SESSION_COOKIE_AGE=3 * 86400,
        CSRF_USE_SESSIONS=True,
        MESSAGE_STORAGE="django.contrib.messages.storage.session.SessionStorage",
    ):
        cookies = policy.cookies()
        assert [c.name for c in cookies] == ["grove_session"]
        assert cookies[0].lifetime == "3 days"
    with override_settings(SESSION_EXPIRE_AT_BROWSER_CLOSE=True):
        assert policy.cookies()[0].lifetime_seconds is None


def test_the_language_cookie_is_listed_only_when_set_language_is_routed():
    assert "django_language" not in [c.name for c in policy.cookies()]
    with override_settings(ROOT_URLCONF=__name__, LANGUAGE_COOKIE_AGE=86400 * 30):
        cookies = {c.name: c for c in policy.cookies()}
    assert cookies["django_language"].lifetime == "30 days"


def test_durations_read_as_words():
    assert policy.describe_duration(43200) == "12 hours"
    assert policy.describe_duration(86400) == "1 day"
    assert policy.describe_duration(31449600) == "364 days"
    assert policy.describe_duration(90) == "1 minute"


def test_storage_and_security_measures_follow_the_settings():
    with override_settings(
        GROVE_HOSTING_PRIMARY_REGION="Azure, France Central (Paris)",
        GROVE_HOSTING_REPLICA_REGION="Azure, France South (Marseille)",
        SECURE_SSL_REDIRECT=True,
        SECURE_HSTS_SECONDS=86400 * 180,
    ):
        facts = policy.collect()
        assert facts.storage.primary_region == "Azure, France Central (Paris)"
        assert facts.storage.replica_region == "Azure, France South (Marseille)"
        assert any("180 days (HSTS)" in m for m in facts.security_measures)
    with override_settings(SECURE_SSL_REDIRECT=False):
        assert not any("HTTPS only (TLS)" in m for m in policy.collect().security_measures)


def test_the_request_form_link_is_the_rights_public_form(client):
    url = policy.request_url()
    assert url == "/rights/request/"
    assert resolve(url).namespace == "rights"
    assert client.get(url).status_code == 200  # public: no login
