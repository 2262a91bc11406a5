"""Legal holds: placing, releasing, what is in force on a day, and who may."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from grove.audit.models import AuditAction, AuditEvent
from grove.retention.errors import RetentionRefused
from grove.retention.holds import hold_place, hold_release, holds_in_force
from grove.retention.models import LegalHold
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

TODAY = datetime.date(2026, 3, 10)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC), tick=False):
        yield


def _events(action):
    with unscoped("test: read the access log"):
        return list(AuditEvent.objects.filter(action=action).order_by("id"))


def _holds():
    with unscoped("test: read the holds"):
        return list(LegalHold.objects.all())


def _place(security_officer, org, **kwargs):
    values = {
        "reason": "Litigation LIT-12: keep everything",
        "until": TODAY + datetime.timedelta(days=20),
    }
    values.update(kwargs)
    return hold_place(actor=security_officer, organization=org, **values)


def test_a_security_officer_places_an_organization_hold(security_officer, org_a):
    hold = _place(security_officer, org_a)

    assert hold.user_id is None and hold.placed_by_id == security_officer.pk
    assert hold.until == TODAY + datetime.timedelta(days=20)
    assert hold.placed_at == timezone.now()
    assert _holds() == [hold]
    (event,) = _events(AuditAction.HOLD_PLACED)
    assert event.organization_id == org_a.pk
    assert event.actor_id == security_officer.pk
    assert event.object_type == "legal_hold" and event.object_ids == [str(hold.pk)]
    assert event.details == {"scope": "organization", "until": "2026-03-30"}
    assert "Litigation" not in str(event.details)


def test_a_hold_on_one_member_names_them_in_the_event_by_id_only(security_officer, org_a, alice):
    hold = _place(security_officer, org_a, user=alice)

    assert hold.user_id == alice.pk
    (event,) = _events(AuditAction.HOLD_PLACED)
    assert event.subject_user_id == alice.pk
    assert event.details == {"scope": "user", "until": "2026-03-30"}


@pytest.mark.parametrize("role", ["csm", "tech", "security_manager", "bob"])
def test_only_a_security_officer_places_a_hold(role, request, org_a):
    actor = request.getfixturevalue(role)

    with pytest.raises(PermissionDenied) as refused:
        _place(actor, org_a)

    assert isinstance(refused.value, RetentionRefused)
    assert "security officer" in str(refused.value)
    assert _holds() == []
    assert _events(AuditAction.HOLD_PLACED) == []
    (denied,) = _events(AuditAction.ACCESS_DENIED)
    assert denied.actor_id == actor.pk and denied.organization_id == org_a.pk
    assert denied.details == {"attempted": "hold.place", "refused": "not_a_security_officer"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": "   "}, "reason"),
        ({"until": TODAY - datetime.timedelta(days=1)}, "until"),
    ],
)
def test_a_hold_needs_a_reason_and_an_end_not_in_the_past(changes, field, security_officer, org_a):
    with pytest.raises(ValidationError) as refused:
        _place(security_officer, org_a, **changes)

    assert field in refused.value.message_dict
    assert _holds() == [] and _events(AuditAction.HOLD_PLACED) == []


def test_a_hold_may_end_today(security_officer, org_a):
    hold = _place(security_officer, org_a, until=TODAY)

    assert holds_in_force(org_a, TODAY) == [hold]
    assert holds_in_force(org_a, TODAY + datetime.timedelta(days=1)) == []


def test_a_hold_on_another_organizations_member_is_refused(security_officer, org_a, charlie):
    with pytest.raises(ValidationError) as refused:
        _place(security_officer, org_a, user=charlie)

    assert "user" in refused.value.message_dict
    assert _holds() == []


def test_a_tombstone_cannot_be_held(security_officer, org_a):
    org_a.status = Organization.Status.TOMBSTONE
    with unscoped("test set-up"):
        org_a.save(update_fields=["status"])

    with pytest.raises(ValidationError):
        _place(security_officer, org_a)
    assert _holds() == []


def test_holds_in_force_follow_the_days(security_officer, org_a, org_b, alice, bob):
    org_hold = _place(security_officer, org_a, until=TODAY + datetime.timedelta(days=5))
    alice_hold = _place(
        security_officer, org_a, user=alice, until=TODAY + datetime.timedelta(days=9)
    )
    _place(security_officer, org_b)

    assert holds_in_force(org_a, TODAY) == [org_hold, alice_hold]
    assert holds_in_force(org_a, TODAY, user=alice) == [org_hold, alice_hold]
    assert holds_in_force(org_a, TODAY, user=bob) == [org_hold]
    day_6 = TODAY + datetime.timedelta(days=6)
    assert holds_in_force(org_a, day_6) == [alice_hold]
    assert holds_in_force(org_a, day_6, user=bob) == []
    assert holds_in_force(org_a, TODAY + datetime.timedelta(days=10)) == []


def test_a_hold_is_in_force_through_its_last_day_then_not(security_officer, org_a):
    hold = _place(security_officer, org_a, until=TODAY + datetime.timedelta(days=2))

    with time_machine.travel(datetime.datetime(2026, 3, 12, 23, 0, tzinfo=datetime.UTC)):
        assert holds_in_force(org_a, timezone.localdate()) == [hold]
    with time_machine.travel(datetime.datetime(2026, 3, 13, 23, 0, tzinfo=datetime.UTC)):
        assert holds_in_force(org_a, timezone.localdate()) == []


def test_a_security_officer_releases_a_hold(security_officer, org_a, alice):
    hold = _place(security_officer, org_a, user=alice)

    released = hold_release(actor=security_officer, hold=hold, reason="Case settled")

    assert released.released_at == timezone.now()
    assert released.released_by_id == security_officer.pk
    assert released.release_reason == "Case settled"
    assert hold.released_at == released.released_at  # the caller's instance follows
    assert holds_in_force(org_a, TODAY) == []
    (event,) = _events(AuditAction.HOLD_RELEASED)
    assert event.object_ids == [str(hold.pk)] and event.subject_user_id == alice.pk
    assert event.details == {"scope": "user", "until": "2026-03-30"}


def test_releasing_a_released_hold_is_refused(security_officer, org_a):
    hold = _place(security_officer, org_a)
    hold_release(actor=security_officer, hold=hold, reason="Case settled")

    with pytest.raises(ValidationError):
        hold_release(actor=security_officer, hold=hold, reason="Again")

    assert len(_events(AuditAction.HOLD_RELEASED)) == 1
    with unscoped("test"):
        assert LegalHold.objects.get(pk=hold.pk).release_reason == "Case settled"


def test_a_release_needs_a_reason(security_officer, org_a):
    hold = _place(security_officer, org_a)

    with pytest.raises(ValidationError):
        hold_release(actor=security_officer, hold=hold, reason="")

    assert holds_in_force(org_a, TODAY) == [hold]


@pytest.mark.parametrize("role", ["csm", "security_manager"])
def test_only_a_security_officer_releases_a_hold(role, request, security_officer, org_a):
    hold = _place(security_officer, org_a)
    actor = request.getfixturevalue(role)

    with pytest.raises(RetentionRefused):
        hold_release(actor=actor, hold=hold, reason="Not mine to release")

    assert holds_in_force(org_a, TODAY) == [hold]
    (denied,) = _events(AuditAction.ACCESS_DENIED)
    assert denied.object_type == "legal_hold" and denied.object_ids == [str(hold.pk)]
    assert denied.details == {"attempted": "hold.release", "refused": "not_a_security_officer"}
