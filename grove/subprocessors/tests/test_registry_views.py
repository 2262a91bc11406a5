"""The registry pages (staff): the list, a subprocessor with its history, the proposal form."""

import pytest
from django.urls import reverse

from grove.audit.models import AuditAction
from grove.subprocessors.actions import change_propose
from grove.subprocessors.models import ChangeKind, SubprocessorChange

REGISTRY = reverse("subprocessors:registry")
PROPOSE = reverse("subprocessors:propose")


def _detail(slug):
    return reverse("subprocessors:detail", args=[slug])


@pytest.mark.parametrize("url", [REGISTRY, PROPOSE, "/subprocessor-registry/entries/azure/"])
def test_pages_require_login(client, url, db):
    response = client.get(url)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["alice", "bob"])
@pytest.mark.parametrize("url", [REGISTRY, PROPOSE, "/subprocessor-registry/entries/azure/"])
def test_clients_get_a_logged_404(request, client, who, url, audit_events):
    user = request.getfixturevalue(who)
    client.force_login(user)

    assert client.get(url).status_code == 404
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.actor_id == user.pk


def test_staff_without_the_second_factor_are_sent_to_verify_it(client, csm):
    client.force_login(csm)

    response = client.get(REGISTRY)

    assert response.status_code == 302
    assert "/subprocessor-registry/" not in response["Location"]


@pytest.mark.parametrize("who", ["csm", "tech", "security_officer", "security_manager"])
def test_every_staff_member_reads_the_registry(request, db, staff_client, who):
    # ``db`` named here: the role comes through getfixturevalue, and a test that names no
    # database fixture runs after the transactional ones, which flush the seeded registry.
    response = staff_client(request.getfixturevalue(who)).get(REGISTRY)

    assert response.status_code == 200
    page = response.content.decode()
    for name in ("Microsoft Azure", "Brevo", "Sentry"):
        assert name in page
    assert "Ireland (North Europe (Dublin))" in page


def test_the_registry_lists_waiting_proposals(staff_client, csm, tech):
    change_propose(
        actor=tech,
        kind="add",
        proposed={
            "name": "Mailjet",
            "service": "Mail",
            "purpose": "Backup mail",
            "data_categories": ["contact.business_email"],
            "data_subjects": "Users",
            "locations": [{"name": "Belgium", "region": ""}],
        },
        impact="Emails",
    )

    page = staff_client(csm).get(REGISTRY).content.decode()

    assert "Addition: Mailjet" in page


def test_a_subprocessor_page_shows_its_facts_and_version_history(staff_client, csm):
    page = staff_client(csm).get(_detail("sentry")).content.decode()

    assert "Application error monitoring" in page
    assert "Functional logs" in page
    assert "Standard Contractual Clauses" in page
    assert "Version 1" in page
    assert "initial entry" in page
    assert "<dt>Status</dt><dd>Active</dd>" in page  # the snapshot's fields, labelled
    assert f"{PROPOSE}?subprocessor=sentry" in page


def test_an_unknown_subprocessor_is_a_logged_404(staff_client, csm, audit_events):
    assert staff_client(csm).get(_detail("nobody")).status_code == 404
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.details == {"attempted": "subprocessor.read"}


def test_a_retired_subprocessor_offers_only_a_re_addition(staff_client, csm, make_subprocessor):
    make_subprocessor("old", status="retired")

    page = staff_client(csm).get(_detail("old")).content.decode()

    assert "Propose to add it again" in page
    assert "only through an approved addition" in page


def test_the_form_is_prefilled_with_the_current_values(staff_client, tech):
    page = staff_client(tech).get(PROPOSE + "?subprocessor=brevo").content.decode()

    assert 'value="Brevo"' in page
    assert "France: European Union" in page
    assert 'value="modify" required id="id_kind_0" checked' in page
    assert 'value="remove"' in page
    assert 'value="add"' not in page


def test_a_staff_member_proposes_a_modification(staff_client, tech, audit_events):
    form = {
        "kind": "modify",
        "name": "Brevo",
        "service": "Transactional email (invitations, notifications, digests, notices)",
        "purpose": "Sends the service's transactional mail and reports whether it was delivered.",
        "data_categories": ["contact.business_email", "identity.name"],
        "data_subjects": "Client users who receive mail from the service",
        "locations": "France: European Union\nGermany: Frankfurt",
        "transfer_safeguards": "EU only.",
        "dpa_reference": "Brevo Data Processing Agreement (annex to Brevo's terms of use)",
        "security_contact": "security@brevo.com (assumption: Brevo's published address)",
        "has_personal_data_impact": "on",
        "impact": "Mail also leaves from Germany.",
    }

    response = staff_client(tech).post(PROPOSE + "?subprocessor=brevo", form)

    change = SubprocessorChange.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("subprocessors:change", args=[change.pk])
    assert change.kind == ChangeKind.MODIFY
    assert change.subprocessor.slug == "brevo"
    assert change.proposed == {
        "locations": [
            {"name": "France", "region": "European Union"},
            {"name": "Germany", "region": "Frankfurt"},
        ],
        "transfer_safeguards": "EU only.",
    }
    assert change.has_personal_data_impact is True
    assert len(audit_events(AuditAction.SUBPROCESSOR_CHANGE_PROPOSED)) == 1


def test_a_removal_ignores_the_values(staff_client, tech):
    response = staff_client(tech).post(
        PROPOSE + "?subprocessor=sentry",
        {"kind": "remove", "name": "Other", "impact": "No more errors"},
    )

    assert response.status_code == 302
    change = SubprocessorChange.objects.get()
    assert change.kind == ChangeKind.REMOVE
    assert change.proposed == {}


def test_an_incomplete_addition_comes_back_with_errors(staff_client, tech):
    response = staff_client(tech).post(PROPOSE, {"kind": "add", "name": "Half", "impact": "Some"})

    assert response.status_code == 400
    assert "Needed for an addition." in response.content.decode()
    assert not SubprocessorChange.objects.exists()


def test_a_new_subprocessor_can_only_be_an_addition(staff_client, tech):
    response = staff_client(tech).post(PROPOSE, {"kind": "remove", "impact": "x"})

    assert response.status_code == 400
    assert not SubprocessorChange.objects.exists()


def test_a_retired_one_can_only_be_added_again(staff_client, tech, make_subprocessor):
    make_subprocessor("old", status="retired")
    url = PROPOSE + "?subprocessor=old"
    client = staff_client(tech)

    assert 'value="modify"' not in client.get(url).content.decode()
    refused = client.post(url, {"kind": "modify", "name": "Renamed", "impact": "x"})
    assert refused.status_code == 400
    assert not SubprocessorChange.objects.exists()

    emptied = client.post(url, {"kind": "add", "name": "Old", "impact": "Back in use"})
    assert emptied.status_code == 400
    assert "This cannot be left empty." in emptied.content.decode()
    assert not SubprocessorChange.objects.exists()

    # The form as the page prefills it, with the DPA reference edited.
    form = {
        "kind": "add",
        "name": "Old",
        "service": "Hosting",
        "purpose": "Runs the service",
        "data_categories": ["contact.business_email"],
        "data_subjects": "Client users",
        "locations": "France: Paris",
        "transfer_safeguards": "EU only",
        "dpa_reference": "DPA v2",
        "security_contact": "security@vendor.example",
        "has_personal_data_impact": "on",
        "impact": "Back in use",
    }
    response = client.post(url, form)

    assert response.status_code == 302
    change = SubprocessorChange.objects.get()
    assert change.kind == ChangeKind.ADD
    assert change.subprocessor.slug == "old"
    assert change.proposed == {"dpa_reference": "DPA v2"}


def test_an_unknown_subprocessor_to_propose_for_is_a_logged_404(staff_client, tech, audit_events):
    assert staff_client(tech).get(PROPOSE + "?subprocessor=nobody").status_code == 404
    assert len(audit_events(AuditAction.ACCESS_DENIED)) == 1
