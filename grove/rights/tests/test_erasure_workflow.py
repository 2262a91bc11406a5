"""An erasure from end to end: the person asks from their profile, the CSM handles it, the
security officer approves, the CSM fulfils; the person is logged out and nothing is left."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from grove.accounts.models import User
from grove.rights import actions
from grove.rights.models import Channel, ErasureRecord, RequestState, RequestType
from grove.staff.models import CsmAssignment
from grove.tenancy.context import tenant_context, unscoped

from .test_erasure_support import EMAIL, make_footprint, make_person, needles, search_blindly

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_person_asks_the_csm_handles_the_officer_approves(
    client, org_a, alice, bob, csm, security_officer, django_capture_on_commit_callbacks
):
    with unscoped("test set-up"):
        CsmAssignment.objects.create(organization=org_a, csm=csm)
    person = make_person(org_a)
    footprint = make_footprint(org_a, person=person, alice=alice, bob=bob)
    client.force_login(person)
    with django_capture_on_commit_callbacks(execute=True):
        with tenant_context(org_a):
            dsr = actions.request_file(
                actor=person,
                subject=person,
                request_type=RequestType.ERASURE,
                channel=Channel.PROFILE,
            )
        actions.request_start(actor=csm, dsr=dsr)
        actions.request_ask_approval(actor=csm, dsr=dsr)
        actions.request_decide(officer=security_officer, dsr=dsr, approve=True)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        dsr = actions.request_fulfil(actor=csm, dsr=dsr)
    assert dsr.state == RequestState.FULFILLED
    with unscoped("test"):
        record = ErasureRecord.objects.get()
        user = User._base_manager.get(pk=person.pk)
    assert record.request_id == dsr.pk and user.is_erased
    # Told at the address it erased; logged out; nothing left in any table.
    assert [message.to for message in mail.outbox] == [[EMAIL]]
    response = client.get(reverse("practices:feed"))
    assert response.status_code == 302 and "login" in response["Location"]
    assert search_blindly(needles()) == []
    # Their practice stays for the organization.
    client.force_login(alice)
    page = client.get(reverse("practices:detail", args=[footprint.practice.pk]))
    assert "Former member" in page.content.decode()
