"""change_propose: any staff member proposes an addition, a change or a removal, with its impact."""

import pytest
from django.core.exceptions import ValidationError

from grove.audit.models import AuditAction
from grove.subprocessors.actions import ChangeRefused, change_propose
from grove.subprocessors.models import ChangeKind, ChangeStatus, Subprocessor, SubprocessorChange

from .helpers import NEW_VENDOR


@pytest.mark.parametrize("who", ["csm", "tech", "security_officer", "security_manager"])
def test_any_staff_member_proposes_an_addition(request, who, audit_events):
    actor = request.getfixturevalue(who)

    change = change_propose(
        actor=actor,
        kind="add",
        proposed=NEW_VENDOR,
        impact="Names and emails also go to a second provider.",
    )

    assert change.status == ChangeStatus.PROPOSED
    assert change.kind == ChangeKind.ADD
    assert change.subprocessor is None
    assert change.proposed == NEW_VENDOR
    assert change.has_personal_data_impact is True
    assert change.proposed_by == actor
    # Nothing in the registry until a security manager approves.
    assert not Subprocessor.objects.filter(slug="mailjet").exists()
    [event] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_PROPOSED)
    assert event.actor_id == actor.pk
    assert event.organization_id is None
    assert event.object_ids == [str(change.pk)]
    assert event.details == {
        "kind": "add",
        "personal_data_impact": True,
        "fields": sorted(NEW_VENDOR),
    }


def test_a_modification_keeps_only_the_values_that_change(tech, make_subprocessor):
    vendor = make_subprocessor("vendor")

    change = change_propose(
        actor=tech,
        kind="modify",
        subprocessor=vendor,
        proposed={
            "name": vendor.name,  # unchanged: dropped
            "locations": [{"name": "Germany", "region": "Frankfurt"}],
        },
        impact="Data moves to Germany.",
    )

    assert change.proposed == {"locations": [{"name": "Germany", "region": "Frankfurt"}]}
    assert change.subprocessor == vendor


def test_a_modification_that_changes_nothing_is_refused(tech, make_subprocessor):
    vendor = make_subprocessor("vendor")

    with pytest.raises(ValidationError, match="Nothing would change"):
        change_propose(
            actor=tech,
            kind="modify",
            subprocessor=vendor,
            proposed={"name": vendor.name},
            impact="None",
        )
    assert not SubprocessorChange.objects.exists()


def test_a_removal_names_an_active_subprocessor(tech, make_subprocessor):
    vendor = make_subprocessor("vendor")

    change = change_propose(
        actor=tech, kind="remove", subprocessor=vendor, impact="Mail stops going there."
    )

    assert change.kind == ChangeKind.REMOVE
    assert change.proposed == {}


def test_an_addition_needs_its_essential_facts(tech):
    with pytest.raises(ValidationError) as error:
        change_propose(actor=tech, kind="add", proposed={"name": "Half"}, impact="Some")

    assert set(error.value.message_dict) == {
        "service",
        "purpose",
        "data_categories",
        "data_subjects",
        "locations",
    }
    assert not SubprocessorChange.objects.exists()


@pytest.mark.parametrize(
    ("proposed", "field"),
    [
        ({"data_categories": ["contact.business_email", "favourite.colour"]}, "data_categories"),
        ({"locations": [{"name": "", "region": "Nowhere"}]}, "locations"),
        ({"locations": "France"}, "locations"),
        ({"name": "x" * 121}, "name"),
    ],
)
def test_bad_values_are_refused_by_field(tech, proposed, field):
    with pytest.raises(ValidationError) as error:
        change_propose(actor=tech, kind="add", proposed={**NEW_VENDOR, **proposed}, impact="x")

    assert field in error.value.message_dict
    assert not SubprocessorChange.objects.exists()


def test_unknown_fields_and_kinds_are_refused(tech):
    with pytest.raises(ValidationError, match="cannot be proposed: status"):
        change_propose(
            actor=tech, kind="add", proposed={**NEW_VENDOR, "status": "active"}, impact="x"
        )
    with pytest.raises(ValidationError):
        change_propose(actor=tech, kind="replace", proposed=NEW_VENDOR, impact="x")


def test_the_impact_must_be_stated(tech):
    with pytest.raises(ValidationError) as error:
        change_propose(actor=tech, kind="add", proposed=NEW_VENDOR, impact="   ")

    assert "impact" in error.value.message_dict


def test_an_existing_or_already_proposed_name_is_refused(tech):
    with pytest.raises(ValidationError, match="already in the registry"):
        change_propose(actor=tech, kind="add", proposed={**NEW_VENDOR, "name": "Brevo"}, impact="x")
    change_propose(actor=tech, kind="add", proposed=NEW_VENDOR, impact="x")
    with pytest.raises(ValidationError, match="already in the registry or proposed"):
        change_propose(actor=tech, kind="add", proposed=NEW_VENDOR, impact="x")


def test_one_pending_change_per_subprocessor(tech, csm, make_subprocessor):
    vendor = make_subprocessor("vendor")
    change_propose(actor=tech, kind="remove", subprocessor=vendor, impact="x")

    with pytest.raises(ValidationError, match="already waiting"):
        change_propose(
            actor=csm, kind="modify", subprocessor=vendor, proposed={"name": "V2"}, impact="x"
        )


def test_a_client_cannot_propose_and_the_attempt_is_logged(bob, audit_events):
    with pytest.raises(ChangeRefused, match="Only Grove staff"):
        change_propose(actor=bob, kind="add", proposed=NEW_VENDOR, impact="x")

    assert not SubprocessorChange.objects.exists()
    [event] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_REFUSED)
    assert event.actor_id == bob.pk
    assert event.details == {"attempted": "change.propose", "refused": "not_staff"}


def test_modifying_a_retired_subprocessor_is_a_reactivation_refused_and_logged(
    tech, make_subprocessor, audit_events
):
    retired = make_subprocessor("old", status="retired")

    with pytest.raises(ChangeRefused, match="comes back only through an approved re-addition"):
        change_propose(
            actor=tech, kind="modify", subprocessor=retired, proposed={"name": "Old"}, impact="x"
        )

    assert not SubprocessorChange.objects.exists()
    [event] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_REFUSED)
    assert event.object_ids == [str(retired.pk)]
    assert event.details == {"attempted": "change.propose", "refused": "retired_reactivation"}


def test_a_retired_subprocessor_is_proposed_again_as_an_addition(tech, make_subprocessor):
    retired = make_subprocessor("old", status="retired")

    change = change_propose(
        actor=tech,
        kind="add",
        subprocessor=retired,
        proposed={"dpa_reference": "Vendor DPA v2"},
        impact="Back in use for mail.",
    )

    assert change.subprocessor == retired
    assert change.proposed == {"dpa_reference": "Vendor DPA v2"}
    assert retired.status == "retired"


def test_only_a_retired_subprocessor_can_be_added_again(tech, make_subprocessor):
    active = make_subprocessor("vendor")

    with pytest.raises(ValidationError, match="Only a retired subprocessor"):
        change_propose(actor=tech, kind="add", subprocessor=active, impact="x")


def test_a_change_cannot_empty_an_essential_fact(tech, make_subprocessor):
    vendor = make_subprocessor("vendor")

    with pytest.raises(ValidationError) as error:
        change_propose(
            actor=tech,
            kind="modify",
            subprocessor=vendor,
            proposed={"service": " ", "locations": [], "dpa_reference": ""},
            impact="x",
        )

    assert set(error.value.message_dict) == {"service", "locations"}
    assert not SubprocessorChange.objects.exists()


def test_a_removal_proposes_no_values(tech, make_subprocessor):
    vendor = make_subprocessor("vendor")

    with pytest.raises(ValidationError, match="no new values"):
        change_propose(
            actor=tech, kind="remove", subprocessor=vendor, proposed={"name": "X"}, impact="x"
        )
