"""grove/accounts/backends.py: the session's user, read in one plain statement, is the user and
organization the ORM would load, and nobody who may no longer log in gets through."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grove.accounts.backends import EmailBackend
from grove.accounts.models import User
from grove.tenancy.context import no_tenant, tenant_context, unscoped
from grove.tenancy.models import Organization

pytestmark = pytest.mark.django_db

API = "/api/practices"
PROFILE = reverse("accounts:profile")
# Microseconds and a non-midnight time: a lossy datetime conversion shows up in the comparison.
MOMENT = datetime.datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=datetime.UTC)


def _orm_load(user_id) -> User:
    with unscoped("test: the ORM's load, for comparison"):
        return User.objects.select_related("organization").get(pk=user_id)


def _field_values(instance) -> dict:
    """Every concrete field's value and type: a str where the ORM gives a UUID is a difference."""
    return {
        field.attname: (getattr(instance, field.attname), type(getattr(instance, field.attname)))
        for field in type(instance)._meta.concrete_fields
    }


def _fill_every_field(alice) -> None:
    """Give Alice and her organization a value in every nullable or defaulted field."""
    with unscoped("test: set up"):
        User.objects.filter(pk=alice.pk).update(
            language="fr",
            last_login=MOMENT,
            terms_accepted_at=MOMENT,
            deprovisioned_at=MOMENT,
            erased_at=MOMENT,
        )
        Organization.objects.filter(pk=alice.organization_id).update(
            practices_require_validation=True,
            erasure_deletes_practices=True,
            members_may_rectify=False,
            ended_at=MOMENT,
            end_reason=Organization.EndReason.ENDED_EARLY,
            end_notice_sent_at=MOMENT,
            purge_warning_sent_at=MOMENT,
            data_purged_at=MOMENT,
            logs_purged_at=MOMENT,
        )


def _set_user(user, **fields) -> None:
    with unscoped("test: set up"):
        User.objects.filter(pk=user.pk).update(**fields)


def _set_organization(organization, **fields) -> None:
    with unscoped("test: set up"):
        Organization.objects.filter(pk=organization.pk).update(**fields)


def test_it_loads_the_member_and_organization_the_orm_loads(alice):
    _fill_every_field(alice)
    expected = _orm_load(alice.pk)

    loaded = EmailBackend().get_user(alice.pk)

    assert _field_values(loaded) == _field_values(expected)
    assert _field_values(loaded.organization) == _field_values(expected.organization)
    assert loaded.organization.is_active is True  # ended_at set, status still active
    for instance in (loaded, loaded.organization):
        assert instance._state.adding is False  # a later save() updates the row
        assert instance._state.db == "default"


def test_it_loads_a_member_with_the_defaults_the_orm_loads(bob):
    expected = _orm_load(bob.pk)

    loaded = EmailBackend().get_user(str(bob.pk))  # as the session holds it

    assert _field_values(loaded) == _field_values(expected)
    assert _field_values(loaded.organization) == _field_values(expected.organization)
    assert loaded.country.code == "DE"


def test_it_loads_staff_without_an_organization(csm):
    expected = _orm_load(csm.pk)

    with CaptureQueriesContext(connection) as captured:
        loaded = EmailBackend().get_user(csm.pk)
        organization = loaded.organization

    assert organization is None
    assert _field_values(loaded) == _field_values(expected)
    assert len(captured.captured_queries) == 1


def test_it_reads_the_user_and_organization_in_one_statement(alice):
    with CaptureQueriesContext(connection) as captured:
        loaded = EmailBackend().get_user(alice.pk)
        organization_name = loaded.organization.name  # no second query: the relation is set

    assert loaded.pk == alice.pk
    assert organization_name == "Organization A"
    assert len(captured.captured_queries) == 1


@pytest.mark.parametrize("scope", ["other tenant", "no tenant"])
def test_it_reads_across_tenants_as_authentication_must(alice, org_b, scope):
    # On PostgreSQL, row-level security would hide Alice and her organization without the
    # bypass that unscoped() hands over with the statement.
    context = tenant_context(org_b) if scope == "other tenant" else no_tenant()
    with context:
        loaded = EmailBackend().get_user(alice.pk)

    assert loaded.pk == alice.pk
    assert loaded.organization.pk == alice.organization_id


@pytest.mark.parametrize(
    "user_id", [None, "", "not-a-uuid", "12345", uuid.uuid4(), str(uuid.uuid4())]
)
def test_an_unknown_or_malformed_id_gives_no_user(alice, user_id):
    assert EmailBackend().get_user(user_id) is None


def test_an_inactive_user_gives_no_user(alice):
    _set_user(alice, is_active=False)

    assert EmailBackend().get_user(alice.pk) is None


@pytest.mark.parametrize(
    "status",
    [Organization.Status.ENDED, Organization.Status.PURGED, Organization.Status.TOMBSTONE],
)
def test_a_member_of_an_inactive_organization_gives_no_user(alice, org_a, status):
    _set_organization(org_a, status=status)

    assert EmailBackend().get_user(alice.pk) is None


def test_a_member_deactivated_between_two_requests_is_logged_out_at_the_second(client, alice):
    client.force_login(alice)
    assert client.get(API).status_code == 200

    _set_user(alice, is_active=False)

    assert client.get(API).status_code == 401
    page = client.get(PROFILE)
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))


def test_a_member_whose_contract_ends_between_two_requests_is_logged_out_at_the_second(
    client, alice, org_a
):
    client.force_login(alice)
    assert client.get(API).status_code == 200

    _set_organization(org_a, status=Organization.Status.ENDED)

    assert client.get(API).status_code == 401


def test_a_password_change_elsewhere_logs_the_session_out(client, alice):
    # Django compares the session's hash of the password with the loaded user's.
    client.force_login(alice)
    assert client.get(API).status_code == 200

    with unscoped("test: set up"):
        user = User.objects.get(pk=alice.pk)
        user.set_password("another-long-passphrase")
        user.save(update_fields=["password"])

    assert client.get(API).status_code == 401
