from django.test import Client

from grove.tenancy.context import unscoped


def _reload(user):
    with unscoped("test: read the account back"):
        user.refresh_from_db(fields=["last_login"])
    return user.last_login


def test_force_login_stamps_a_members_last_login_in_their_own_scope(alice):
    assert _reload(alice) is None
    Client().force_login(alice)  # outside any request: no tenant is set
    assert _reload(alice) is not None


def test_force_login_stamps_a_staff_accounts_last_login(csm):
    Client().force_login(csm)
    assert _reload(csm) is not None
