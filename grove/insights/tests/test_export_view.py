"""The dashboard's CSV: the same figures and the same protection as the page, formula-safe,
as an attachment, and logged."""

import csv
import datetime
import io

import pytest
import time_machine
from django.urls import reverse

from grove.audit.models import AuditAction, AuditEvent
from grove.staff.models import CsmAssignment
from grove.tenancy.context import unscoped

from .builders import MAR, TODAY, active, member, small_org

URL = reverse("insights:export_csv")
NOON = datetime.datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOON, tick=False):
        yield


def org_url(organization) -> str:
    return reverse("insights:org_export_csv", args=[organization.slug])


def events(action: str) -> list[AuditEvent]:
    with unscoped("test: read the access log"):
        return list(AuditEvent.objects.filter(action=action).order_by("id"))


def table(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def values(rows, section: str, group: str) -> dict[str, str]:
    return {measure: value for s, g, measure, value in rows[1:] if (s, g) == (section, group)}


def test_login_is_required(client, db):
    response = client.get(URL)

    assert response.status_code == 302


def test_the_manager_downloads_the_figures_and_the_export_is_logged(client, bob, org_a):
    small_org(org_a)
    client.force_login(bob)

    response = client.get(URL, {"months": "3"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="dashboard-org-a-20260315T120000Z.csv"'
    )
    body = response.content.decode()
    assert body.startswith("section,month_or_group,measure,value\r\n")
    # The topic named like a formula comes out as text, not as a formula.
    assert '\r\ntopic,"\'=HYPERLINK(""http://evil.example"")",adoptions,1\r\n' in body
    rows = table(response)
    assert values(rows, "period", "") == {"start": "2026-01-01", "end": "2026-04-01", "months": "3"}
    assert values(rows, "month", "2026-01") == {
        "members": "10",
        "active": "5",
        "active_share": "0.5000",
        "practices_shared": "1",
        "shared_per_active": "0.2000",
        "reads": "3",
        "reads_per_member": "0.3000",
        "adoptions": "2",
        "useful": "0",
        "comments": "1",
    }
    assert values(rows, "month", "2026-03")["active"] == "<5"
    assert values(rows, "total", "")["adoptions"] == "6"
    assert values(rows, "topic", "Hygiene") == {"practices_shared": "2", "adoptions": "3"}
    assert values(rows, "job_type", "Kitchen")["members"] == "suppressed"
    assert values(rows, "job_type", "none")["members"] == "<5"
    assert values(rows, "job_type", "other")["members"] == "8"  # Kitchen 5, none 2 and Bob
    assert values(rows, "retention", "2025-12") == {"cohort_size": "5"}
    assert values(rows, "retention", "2026-02") == {"returning": "5", "returning_share": "1.0000"}
    [exported] = events(AuditAction.EXPORT)
    assert (exported.actor_id, exported.organization_id) == (bob.pk, org_a.pk)
    assert exported.object_type == "dashboard"
    assert exported.details == {"months": 3, "format": "csv"}


def test_a_country_of_four_is_never_in_the_csv_nor_derivable(client, org_a, alice, bob):
    for country, count, active_count in (("FR", 10, 5), ("DE", 6, 6), ("LU", 4, 4)):
        people = [member(org_a, created=MAR, country=country) for _ in range(count)]
        active(org_a, people[:active_count], MAR)
    client.force_login(bob)

    rows = table(client.get(URL, {"months": "3"}))

    # France 11 (with Alice), Germany 7 (with Bob), Luxembourg 4.
    assert set(values(rows, "country", "LU").values()) == {"<5"}
    assert set(values(rows, "country", "DE").values()) == {"suppressed"}
    assert values(rows, "country", "FR")["members"] == "11"
    assert values(rows, "country", "other")["members"] == "11"
    assert values(rows, "country", "total")["members"] == "22"
    # No figure about Luxembourg alone anywhere: "4" is not a value of any country row.
    assert all(value != "4" for s, _, _, value in rows[1:] if s == "country")
    # Active: "Other" has 10 of 11 (the one inactive, Bob, would be pointed at): hidden, and
    # France's 5 with it, or 15 - 5 would give it away.
    assert values(rows, "country", "other")["active"] == "suppressed"
    assert values(rows, "country", "FR")["active"] == "suppressed"
    assert values(rows, "country", "total")["active"] == "15"


def test_a_member_gets_404(client, alice):
    client.force_login(alice)

    assert client.get(URL).status_code == 404
    assert events(AuditAction.EXPORT) == []


def test_another_organizations_member_gets_404_on_its_slug(client, charlie, org_a):
    client.force_login(charlie)

    assert client.get(org_url(org_a)).status_code == 404


def test_the_csm_serving_the_organization_downloads_it(staff_client, csm, org_a):
    with unscoped("test set-up"):
        CsmAssignment.objects.create(organization=org_a, csm=csm)

    response = staff_client(csm).get(org_url(org_a))

    assert response.status_code == 200
    assert events(AuditAction.EXPORT)[0].actor_id == csm.pk


def test_a_csm_without_an_assignment_and_a_security_officer_get_404(
    staff_client, csm, security_officer, org_a
):
    assert staff_client(csm).get(org_url(org_a)).status_code == 404
    assert staff_client(security_officer).get(org_url(org_a)).status_code == 404


def test_a_bad_period_is_refused_with_400(client, bob):
    client.force_login(bob)

    assert client.get(URL, {"months": "100"}).status_code == 400
    assert events(AuditAction.EXPORT) == []
