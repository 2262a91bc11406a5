"""change_reject: the same deciders as approval, with a note; nothing reaches the registry."""

import pytest
from django.core.exceptions import ValidationError

from grove.audit.models import AuditAction
from grove.subprocessors.actions import ChangeRefused, change_propose, change_reject
from grove.subprocessors.models import ChangeNotice, ChangeStatus, Subprocessor

from .helpers import NEW_VENDOR, reload


@pytest.fixture
def addition(tech):
    return change_propose(actor=tech, kind="add", proposed=NEW_VENDOR, impact="Emails to Mailjet.")


def test_a_security_manager_rejects_with_a_note(addition, security_manager, audit_events):
    change_reject(actor=security_manager, change=addition, note="No DPA signed yet.")

    change = reload(addition)
    assert change.status == ChangeStatus.REJECTED
    assert change.decided_by_id == security_manager.pk
    assert change.decided_at is not None
    assert change.decision_note == "No DPA signed yet."
    assert not Subprocessor.objects.filter(slug="mailjet").exists()
    assert not ChangeNotice.objects.exists()
    [event] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_REJECTED)
    assert event.actor_id == security_manager.pk
    assert event.object_ids == [str(addition.pk)]
    assert event.details == {"kind": "add"}


def test_a_rejection_says_why(addition, security_manager):
    with pytest.raises(ValidationError) as error:
        change_reject(actor=security_manager, change=addition, note="  ")

    assert "note" in error.value.message_dict
    assert reload(addition).status == ChangeStatus.PROPOSED


def test_the_proposer_cannot_reject_their_own_change(security_manager, audit_events):
    own = change_propose(actor=security_manager, kind="add", proposed=NEW_VENDOR, impact="x")

    with pytest.raises(ChangeRefused, match="another security manager"):
        change_reject(actor=security_manager, change=own, note="Changed my mind")

    assert reload(own).status == ChangeStatus.PROPOSED
    [event] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_REFUSED)
    assert event.details == {"attempted": "change.reject", "refused": "own_change"}


@pytest.mark.parametrize("who", ["csm", "security_officer"])
def test_other_staff_cannot_reject(request, who, addition, audit_events):
    actor = request.getfixturevalue(who)

    with pytest.raises(ChangeRefused, match="Only a security manager"):
        change_reject(actor=actor, change=addition, note="No")

    assert reload(addition).status == ChangeStatus.PROPOSED
    [event] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_REFUSED)
    assert event.details == {"attempted": "change.reject", "refused": "not_security_manager"}
