"""An ended organization, end to end: its members cannot log in (same message as a wrong
password), their open sessions are cut, API and SCIM tokens authenticate nothing, a password
reset mails nothing, and staff writes on its data are refused (403 saying why) with nothing
written, while staff still read it.

Why the login says nothing about the contract: the message is the one of a wrong password, so
the form never tells whether an address has an account, nor that a company was a client whose
contract ended. The managers learnt it from the notice mails; a member who asks is answered by
their manager.
"""

import datetime
import json
import re

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grove.accounts.invitations import invitations_send
from grove.accounts.models import Invitation, User
from grove.api.actions import api_token_create
from grove.audit.models import AuditAction, AuditEvent
from grove.core.testing.factories import TEST_PASSWORD, UserFactory
from grove.onboarding.actions import import_commit, import_preview
from grove.onboarding.importing import ImportOptions
from grove.onboarding.models import ImportStatus, UserImport
from grove.onboarding.provisioning import PersonRecord, deactivate_person, provision_person
from grove.onboarding.scim_tokens import scim_token_create
from grove.practices.actions import topic_create
from grove.practices.models import Topic
from grove.retention.lifecycle import OrganizationReadOnly, end_contract
from grove.staff.models import CsmAssignment
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import Organization

NOW = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)
LOGIN_URL = reverse("accounts:login")
WRONG_LOGIN = "Please enter a correct business email and password."
READ_ONLY = "contract has ended"
CSV = "email,first name,last name,country\ndana@a.example,Dana,Durand,FR\n"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


def _end(organization):
    assert end_contract(
        organization=organization, now=NOW, reason=Organization.EndReason.CONTRACT_END_DATE
    )


def _events(action):
    with unscoped("test: read the access log"):
        return list(AuditEvent.objects.filter(action=action).order_by("id"))


def _assign(csm, organization):
    with unscoped("test set-up"):
        CsmAssignment.objects.create(organization=organization, csm=csm)


def _csv():
    return SimpleUploadedFile("list.csv", CSV.encode(), content_type="text/csv")


def _imports(organization):
    with tenant_context(organization):
        return list(UserImport.objects.all())


def _users(organization):
    with tenant_context(organization):
        return set(User.objects.values_list("email", flat=True))


def _invitations(organization):
    with tenant_context(organization):
        return list(Invitation.objects.all())


# --- Logging in -----------------------------------------------------------------------------


def test_a_member_cannot_log_in_and_is_told_as_for_a_wrong_password(client, alice, org_a):
    _end(org_a)

    right = client.post(LOGIN_URL, {"username": "alice@a.example", "password": TEST_PASSWORD})
    wrong = client.post(LOGIN_URL, {"username": "alice@a.example", "password": "not-it-at-all"})

    assert right.status_code == wrong.status_code == 200
    assert WRONG_LOGIN in right.text and WRONG_LOGIN in wrong.text
    assert "contract" not in right.text.lower()
    assert "_auth_user_id" not in client.session
    assert _events(AuditAction.LOGIN) == []


def test_a_member_of_an_active_organization_still_logs_in(client, alice, charlie, org_a):
    _end(org_a)

    response = client.post(LOGIN_URL, {"username": "charlie@b.example", "password": TEST_PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(charlie.pk)


def test_an_open_session_is_cut_at_the_contract_end(client, alice, org_a):
    client.force_login(alice)
    key = client.session.session_key
    assert client.get(reverse("core:home")).status_code == 200

    _end(org_a)

    assert not Session.objects.filter(session_key=key).exists()
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_a_password_reset_mails_nothing(client, alice, org_a, mailoutbox):
    _end(org_a)

    response = client.post(reverse("accounts:password_reset"), {"email": "alice@a.example"})

    assert response.status_code == 302
    assert mailoutbox == []


def test_a_reset_link_mailed_before_the_end_stops_working(
    client, alice, org_a, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": "alice@a.example"})
    (message,) = mailoutbox
    link = re.search(r"https?://[^/\s]+(/accounts/password-reset/[^\s]+/)", message.body)
    assert link, "the mail holds the reset link"

    _end(org_a)

    response = client.get(link.group(1), follow=True)
    assert response.status_code == 200
    assert response.context["valid_link"] is False


# --- Tokens ---------------------------------------------------------------------------------


def test_an_api_token_is_a_401(client, alice, org_a):
    with tenant_context(org_a):
        secret = api_token_create(actor=alice, name="Integration").secret
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get("/api/topics", **headers).status_code == 200

    _end(org_a)

    assert client.get("/api/topics", **headers).status_code == 401


def test_a_scim_token_is_a_401_and_provisions_nobody(client, bob, org_a):
    with tenant_context(org_a):
        secret = scim_token_create(actor=bob, organization=org_a, name="Okta").secret
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get("/scim/v2/Users", **headers).status_code == 200

    _end(org_a)

    assert client.get("/scim/v2/Users", **headers).status_code == 401
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "dana@a.example",
        "name": {"givenName": "Dana", "familyName": "Durand"},
    }
    response = client.post(
        "/scim/v2/Users", json.dumps(body), content_type="application/scim+json", **headers
    )
    assert response.status_code == 401
    assert "dana@a.example" not in _users(org_a)


# --- Staff writes: refused with a 403 that says why, nothing written --------------------------


def test_a_csm_import_is_refused_with_a_403_and_nothing_written(staff_client, csm, org_a):
    _assign(csm, org_a)
    _end(org_a)
    client = staff_client(csm)

    response = client.post(reverse("user_import:org_upload", args=[org_a.slug]), {"file": _csv()})

    assert response.status_code == 403
    assert READ_ONLY in response.text
    assert _imports(org_a) == []
    (denied,) = _events(AuditAction.ACCESS_DENIED)
    assert denied.actor_id == csm.pk and denied.details["refused"] == "read_only"


def test_a_csm_invitation_is_refused_with_a_403_and_nothing_written(staff_client, csm, org_a):
    newcomer = UserFactory(email="new@a.example", organization=org_a, password=None)
    _assign(csm, org_a)
    _end(org_a)
    client = staff_client(csm)

    response = client.post(reverse("accounts:org_member_invite", args=[org_a.slug, newcomer.pk]))

    assert response.status_code == 403
    assert READ_ONLY in response.text
    assert _invitations(org_a) == []


def test_a_csm_still_reads_an_ended_organizations_people(staff_client, csm, org_a, alice):
    _assign(csm, org_a)
    _end(org_a)

    response = staff_client(csm).get(reverse("accounts:org_invitations", args=[org_a.slug]))

    assert response.status_code == 200


def test_another_organizations_csm_still_gets_a_404(staff_client, csm, org_a, org_b):
    _assign(csm, org_b)
    _end(org_a)

    response = staff_client(csm).post(
        reverse("user_import:org_upload", args=[org_a.slug]), {"file": _csv()}
    )

    assert response.status_code == 404


# --- The actions themselves (tasks, commands, any caller) ------------------------------------


def test_a_list_previewed_before_the_end_is_not_committed_after(org_a):
    with tenant_context(org_a):
        user_import = import_preview(
            actor=None,
            organization=org_a,
            uploaded_file=_csv(),
            source="cli",
            options=ImportOptions(),
        )
    _end(org_a)

    with pytest.raises(OrganizationReadOnly):
        import_commit(actor=None, user_import=user_import, valid_only=True, full_sync=False)

    assert "dana@a.example" not in _users(org_a)
    (row,) = _imports(org_a)
    assert row.status == ImportStatus.PREVIEWED


def test_an_import_preview_is_refused(org_a, csm):
    _assign(csm, org_a)
    _end(org_a)

    with pytest.raises(OrganizationReadOnly), tenant_context(org_a):
        import_preview(actor=csm, organization=org_a, uploaded_file=_csv(), source="web")

    assert _imports(org_a) == []


def test_invitations_are_refused(org_a, bob):
    newcomer = UserFactory(email="new@a.example", organization=org_a, password=None)
    _end(org_a)

    with pytest.raises(OrganizationReadOnly), tenant_context(org_a):
        invitations_send(users=[newcomer], actor=bob)

    assert _invitations(org_a) == []


def test_provisioning_and_deactivation_are_refused(org_a, alice):
    _end(org_a)
    record = PersonRecord(
        email="dana@a.example", first_name="Dana", last_name="Durand", country="FR", job_type=""
    )

    with pytest.raises(OrganizationReadOnly):
        provision_person(organization=org_a, record=record, source="scim")
    with pytest.raises(OrganizationReadOnly):
        deactivate_person(organization=org_a, user=alice, source="manager")

    assert "dana@a.example" not in _users(org_a)
    with unscoped("test"):
        assert User.objects.get(pk=alice.pk).is_active


def test_a_managers_write_is_refused(org_a, bob):
    _end(org_a)

    with pytest.raises(OrganizationReadOnly), tenant_context(org_a):
        topic_create(actor=bob, name="Safety")

    with tenant_context(org_a):
        assert not Topic.objects.filter(name="Safety").exists()
