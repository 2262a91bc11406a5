"""The dashboard page: who may see it (managers, the CSM serving the organization, a
break-glass grant), what it shows (charts with their tables, small groups hidden), and that
every look is logged."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from grove.audit.models import AuditAction, AuditEvent
from grove.staff.models import AccessGrant, CsmAssignment
from grove.tenancy.context import unscoped

from .builders import MAR, TODAY, active, member, small_org

URL = reverse("insights:dashboard")
NOON = datetime.datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen_time():
    # Before every other fixture: the cast's accounts are created "today" too.
    with time_machine.travel(NOON, tick=False):
        yield


def org_url(organization) -> str:
    return reverse("insights:org_dashboard", args=[organization.slug])


def events(action: str) -> list[AuditEvent]:
    with unscoped("test: read the access log"):
        return list(AuditEvent.objects.filter(action=action).order_by("id"))


def assign(csm, organization) -> CsmAssignment:
    with unscoped("test set-up"):
        return CsmAssignment.objects.create(organization=organization, csm=csm)


def grant_for(requester, organization, *, decided_by) -> AccessGrant:
    with unscoped("test set-up"):
        return AccessGrant.objects.create(
            organization=organization,
            requester=requester,
            reason="Incident: the dashboard shows no adoption",
            ticket_ref="INC-9",
            duration_minutes=120,
            status=AccessGrant.Status.APPROVED,
            decided_by=decided_by,
            decided_at=NOON,
            expires_at=NOON + datetime.timedelta(hours=2),
        )


def table_row(html: str, label: str) -> list[str]:
    """The cells of the data-table row headed ``label`` (first match)."""
    match = re.search(rf'<th scope="row">{re.escape(label)}</th>(.*?)</tr>', html, re.S)
    assert match, label
    return [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)]


# --- Who may see it -------------------------------------------------------------------------


def test_login_is_required(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_manager_sees_the_dashboard_and_the_view_is_logged(client, bob, org_a):
    client.force_login(bob)

    response = client.get(URL)

    assert response.status_code == 200
    assert response.context["organization"] == org_a
    [viewed] = events(AuditAction.VIEW)
    assert viewed.actor_id == bob.pk
    assert viewed.organization_id == org_a.pk
    assert viewed.object_type == "dashboard"
    assert viewed.object_ids == [str(org_a.pk)]
    assert viewed.details == {"months": 12}


def test_a_member_gets_404_and_the_refusal_is_logged(client, alice, bob):
    client.force_login(alice)

    response = client.get(URL)

    assert response.status_code == 404
    [denied] = events(AuditAction.ACCESS_DENIED)
    assert denied.actor_id == alice.pk
    assert denied.details == {"capability": "dashboard.read"}
    assert events(AuditAction.VIEW) == []


def test_another_organizations_member_gets_404_on_its_slug(client, charlie, bob, org_a):
    client.force_login(charlie)

    response = client.get(org_url(org_a))

    assert response.status_code == 404
    assert events(AuditAction.ACCESS_DENIED)[0].organization_id == org_a.pk
    assert events(AuditAction.VIEW) == []


def test_a_manager_of_another_organization_gets_404(client, bob, org_b):
    client.force_login(bob)

    assert client.get(org_url(org_b)).status_code == 404


def test_an_unknown_organization_is_the_same_404(client, bob):
    client.force_login(bob)

    assert client.get(reverse("insights:org_dashboard", args=["no-such-org"])).status_code == 404


def test_a_csm_without_an_assignment_gets_404(staff_client, csm, org_a):
    response = staff_client(csm).get(org_url(org_a))

    assert response.status_code == 404
    assert events(AuditAction.ACCESS_DENIED)[0].actor_id == csm.pk


def test_the_csm_serving_the_organization_sees_it(staff_client, csm, org_a):
    assign(csm, org_a)

    response = staff_client(csm).get(org_url(org_a))

    assert response.status_code == 200
    [viewed] = events(AuditAction.VIEW)
    assert (viewed.actor_id, viewed.organization_id) == (csm.pk, org_a.pk)


def test_staff_name_the_organization_in_the_url(staff_client, csm, org_a):
    assign(csm, org_a)

    assert staff_client(csm).get(URL).status_code == 404


def test_a_security_officer_gets_404(staff_client, security_officer, org_a):
    # The access log and requests of every organization, but not its dashboard.
    response = staff_client(security_officer).get(org_url(org_a))

    assert response.status_code == 404


def test_a_break_glass_grant_opens_it_and_the_view_names_the_grant(
    staff_client, tech, security_manager, org_a
):
    grant = grant_for(tech, org_a, decided_by=security_manager)

    response = staff_client(tech).get(org_url(org_a))

    assert response.status_code == 200
    [viewed] = events(AuditAction.VIEW)
    assert viewed.grant_id == grant.pk
    assert len(events(AuditAction.GRANT_USED)) == 1


# --- The period -----------------------------------------------------------------------------


@pytest.mark.parametrize("months", ["abc", "2", "25", "12.5", "-3", ""])
def test_a_bad_period_is_refused_with_400(client, bob, months):
    client.force_login(bob)

    response = client.get(URL, {"months": months})

    assert response.status_code == (200 if months == "" else 400)


def test_a_member_asking_a_bad_period_still_gets_404(client, alice):
    client.force_login(alice)

    assert client.get(URL, {"months": "abc"}).status_code == 404


def test_the_period_can_be_chosen(client, bob):
    client.force_login(bob)

    response = client.get(URL, {"months": "24"})

    assert response.status_code == 200
    assert len(response.context["board"].months) == 24
    assert events(AuditAction.VIEW)[0].details == {"months": 24}


# --- What it shows --------------------------------------------------------------------------


def test_it_shows_the_figures_in_charts_and_tables(client, bob, org_a):
    small_org(org_a)
    client.force_login(bob)

    response = client.get(URL, {"months": "3"})

    html = response.content.decode()
    assert response.status_code == 200
    # Every chart is inline SVG with a title and a description, its table in a <details>.
    assert html.count('<svg role="img"') == 11
    assert html.count('<details class="insights-data"') == 11
    assert '<title id="chart-active-share-title">Active members</title>' in html
    assert '<desc id="chart-adoptions-desc">Adoptions per month' in html
    assert "<script" not in html.split('<main id="main"')[1]  # no chart library
    # January: 10 members, 5 active; March: 12 and Bob, who joined "today".
    assert table_row(html, "January 2026")[:3] == ["10", "5", "50 %"]
    assert table_row(html, "March 2026")[:3] == ["13", "fewer than 5", "fewer than 5"]
    assert table_row(html, "Hygiene") == ["2", "3"]
    # The topic named like a formula is plain text on the page (escaped).
    assert "=HYPERLINK(&quot;http://evil.example&quot;)" in html


@pytest.fixture
def four_in_luxembourg(org_a, alice, bob):
    """A: 11 in France (with Alice), 7 in Germany (with Bob), 4 in Luxembourg, all active."""
    people = {
        "FR": [member(org_a, created=MAR, country="FR") for _ in range(10)] + [alice],
        "DE": [member(org_a, created=MAR, country="DE") for _ in range(6)] + [bob],
        "LU": [member(org_a, created=MAR, country="LU") for _ in range(4)],
    }
    active(org_a, people["LU"] + people["DE"], MAR)
    return people


def test_a_country_of_four_is_never_shown_nor_derivable(client, bob, four_in_luxembourg):
    client.force_login(bob)

    response = client.get(URL, {"months": "3"})

    html = response.content.decode()
    table = response.context["board"].countries
    assert table_row(html, "France")[:2] == ["11", "0"]
    # Luxembourg reads "fewer than 5"; Germany is hidden with it, or 22 - 11 would give 4.
    assert set(table_row(html, "Luxembourg")) == {"fewer than 5"}
    assert set(table_row(html, "Germany")) == {"hidden"}
    assert table_row(html, "Other countries")[:2] == ["11", "11"]
    assert table_row(html, "All members")[:2] == ["22", "11"]
    assert [row.key for row in table.shown_rows] == ["FR"]
    # The chart draws France and "Other countries" only.
    chart = html.split('id="chart-countries-title"')[1].split("</svg>")[0]
    assert "Germany: " not in chart and "Luxembourg: " not in chart
    assert "Other countries: " in chart
