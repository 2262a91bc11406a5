"""manage.py ropa: the record of processing activities (Markdown, CSV) from the policy's facts."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import override_settings

from grove.core.testing.factories import UserFactory
from grove.privacy import policy, ropa
from grove.privacy.datamap import Category
from grove.subprocessors.models import Subprocessor

from .test_policy_support import clear_registry, make_subprocessor, retire

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)
ACCOUNTS = (
    "Accounts and sign-in: the accounts your employer asks for, invitations, sign-in, "
    "password resets, their protection against password guessing (failed attempts counted under "
    "a keyed hash of the email, never the address itself, for at most an hour) and the "
    "acceptance of the terms of use."
)


@pytest.fixture
def now():
    # Fixtures too (the contracts' dates): the whole test at NOW.
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def world(now, alice, bob, charlie):
    clear_registry()
    make_subprocessor(
        "mailer",
        "Mailer",
        categories=(Category.BUSINESS_EMAIL, Category.NAME),
        locations=({"name": "France", "region": "Paris"},),
        safeguards="EU only.",
        service="Transactional mail",
        dpa_reference="Mailer DPA 2025",
    )
    return {"alice": alice, "bob": bob, "charlie": charlie}


def _run(*args) -> str:
    out = io.StringIO()
    call_command("ropa", *args, stdout=out)
    return out.getvalue()


def test_the_markdown_record_has_its_sections_from_the_shared_facts(world):
    text = _run("--format", "markdown")
    assert text.startswith(
        "# Record of processing activities\n"
        "\n"
        "Generated on 2026-11-20 by `manage.py ropa` from the data map, the subprocessor "
        "registry, the retention rules and the settings: the same sources as the privacy "
        "policy (/privacy). Do not edit by hand; generate it again.\n"
        "\n"
        "## Parties\n"
        "\n"
        "- Processor (GDPR Art. 30(2)): Grove SAS, privacy@grove.example\n"
    )
    assert (
        f"### 1. {ACCOUNTS}\n"
        "\n"
        "- Data subjects: Client users (employees of our clients); Operator staff\n"
        "- Personal data: Business email, First and last name, Country, Job type, "
        "Functional logs\n"
        "- Recipients (subprocessors): Mailer\n"
        '- Transfers and safeguards: see "Recipients and transfers"\n'
        "- Erasure time limits: Until the person's erasure, and at most the duration of the "
        "client's contract (deleted 30 days after its end).\n"
    ) in text
    assert (
        "| Subprocessor | Service | Personal data | Locations | Transfer safeguards | DPA |\n"
        "| --- | --- | --- | --- | --- | --- |\n"
        "| Mailer | Transactional mail | Business email, First and last name | France, Paris "
        "| EU only. | Mailer DPA 2025 |\n"
    ) in text
    assert (
        "| Functional logs | For the duration of the contract, then 90 more days for security "
        "purposes. |\n"
    ) in text
    assert text.endswith("\n")


def test_the_record_says_per_client_what_is_processed(world, org_b):
    UserFactory(organization=org_b, email="dan@b.example", is_active=False, country="")
    text = _run("--format", "markdown")
    assert (
        "### Organization A (`org-a`)\n"
        "\n"
        "- Status: Active; contract 2026-10-21 to 2027-11-20\n"
        "- Data region: eu-west\n"
        "- People: 2 (active: 2, managers: 1); with a country: 2; with a job type: 1\n"
        "- Personal data held: Business email, First and last name, Country, Job type, "
        "Functional logs\n"
        "\n"
        "| Processing activity | Table | Rows |\n"
        "| --- | --- | --- |\n"
    ) in text
    assert f"| {ACCOUNTS} | User | 2 |\n" in text
    assert f"| {ACCOUNTS} | Invitation | 0 |\n" in text
    organization_b = text[text.index("### Organization B (`org-b`)") :]
    assert "- People: 2 (active: 1, managers: 0); with a country: 1; with a job type: 0\n" in (
        organization_b
    )
    assert f"| {ACCOUNTS} | User | 2 |\n" in organization_b


def test_one_client_only_with_org(world):
    text = _run("--org", "org-b")
    assert "### Organization B (`org-b`)" in text
    assert "Organization A" not in text


def test_an_unknown_client_or_format_is_a_clear_error(world, tmp_path):
    out = tmp_path / "ropa.md"
    with pytest.raises(CommandError, match="no organization with the slug 'nope'"):
        call_command("ropa", "--org", "nope", "--out", str(out))
    assert not out.exists()  # nothing half-written
    with pytest.raises(CommandError):
        call_command("ropa", "--format", "pdf")
    with pytest.raises(CommandError, match="cannot write"):
        call_command("ropa", "--out", str(tmp_path / "missing" / "ropa.md"))
    with pytest.raises(ropa.RopaError, match="unknown format"):
        ropa.render("pdf")


def test_the_csv_has_one_row_per_client_and_activity(world, tmp_path):
    out = tmp_path / "ropa.csv"
    call_command("ropa", "--format", "csv", "--out", str(out))
    data = out.read_bytes()
    assert data.startswith(
        b"controller,controller_slug,processor,processor_contact,activity,purpose,data_subjects,"
        b"personal_data,recipients,transfers_and_safeguards,erasure_time_limits,"
        b"security_measures,people,records_held\r\n"
        b'Organization A,org-a,Grove SAS,privacy@grove.example,accounts,"' + ACCOUNTS.encode()
    )
    rows = list(csv.reader(io.StringIO(data.decode())))
    activities = [a.app_label for a in policy.collect().activities]
    assert len(rows) == 1 + 2 * len(activities)
    accounts_a = next(r for r in rows if r[1] == "org-a" and r[4] == "accounts")
    assert accounts_a[8] == "Mailer"
    assert accounts_a[9] == "Mailer: France, Paris. EU only."
    assert accounts_a[12] == "2"
    assert accounts_a[13].startswith("Invitation: 0; User: 2")
    sessions_a = next(r for r in rows if r[1] == "org-a" and r[4] == "sessions")
    assert sessions_a[8] == "" and sessions_a[9] == ""


def test_the_csv_is_safe_to_open_in_a_spreadsheet(world):
    Subprocessor.objects.filter(slug="mailer").update(
        name='=HYPERLINK("http://evil.example")', transfer_safeguards="+SCCs"
    )
    rows = list(csv.reader(io.StringIO(_run("--format", "csv"))))
    accounts_a = next(r for r in rows if r[1] == "org-a" and r[4] == "accounts")
    assert accounts_a[8] == '\'=HYPERLINK("http://evil.example")'
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_a_registry_or_retention_change_changes_the_record(world, csm, security_manager):
    retire(Subprocessor.objects.get(slug="mailer"), by=csm, decided_by=security_manager)
    make_subprocessor("postbox", "Postbox", categories=(Category.BUSINESS_EMAIL,))
    with override_settings(GROVE_RETENTION_GRACE_DAYS=60):
        text = _run()
    assert "- Recipients (subprocessors): Postbox\n" in text
    assert "| Mailer |" not in text
    assert "(deleted 60 days after its end)" in text


def test_with_no_client_the_csv_still_describes_the_activities(db, now):
    clear_registry()
    rows = list(csv.reader(io.StringIO(_run("--format", "csv"))))
    assert len(rows) == 1 + len(policy.collect().activities)
    assert {r[0] for r in rows[1:]} == {""}
    assert "No client organization." in _run()
