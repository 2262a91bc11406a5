"""Exports of the access log: CSV (neutralised cells, names of the organization's own users
only) and JSON (ids only, a documented field list), both streaming, both logged."""

import csv
import datetime
import io
import json
import uuid

import pytest
import time_machine
from django.urls import reverse

from grove.audit import queries
from grove.audit.events import record_event
from grove.audit.exports import CSV_NAME_FIELDS, EXPORT_FIELDS
from grove.audit.models import AuditAction, AuditEvent
from grove.core.testing.factories import UserFactory
from grove.tenancy.context import NO_SCOPE, current_scope, tenant_context, unscoped

CSV_URL = reverse("audit:export_csv")
JSON_URL = reverse("audit:export_json")
DAY = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)
FIELDS = [name for name, _ in EXPORT_FIELDS]


def events(action: str | None = None) -> list[AuditEvent]:
    with unscoped("test: read the access log"):
        found = AuditEvent.objects.order_by("id")
        return list(found.filter(action=action) if action else found)


def at(moment: datetime.datetime, **fields) -> AuditEvent:
    with time_machine.travel(moment, tick=False):
        return record_event(**fields)


def body(response) -> bytes:
    assert response.streaming
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body(response).decode("utf-8"))))


@pytest.fixture
def mallory(org_a):
    """A person of A whose name a spreadsheet would run as formulas."""
    return UserFactory(
        organization=org_a, first_name='=HYPERLINK("https://evil.example","x")', last_name="@SUM"
    )


@pytest.fixture
def history(alice, bob, charlie, tech, mallory, org_a, org_b):
    return {
        "login": at(
            DAY, action=AuditAction.LOGIN, actor=alice, organization=org_a, subject_user=alice
        ),
        "mallory_view": at(
            DAY + datetime.timedelta(hours=1),
            action=AuditAction.VIEW,
            actor=mallory,
            organization=org_a,
            object_type="practice",
            object_ids=[uuid.uuid4(), uuid.uuid4()],
        ),
        "staff_change": at(
            DAY + datetime.timedelta(days=1),
            action=AuditAction.USER_CHANGED,
            actor=tech,
            organization=org_a,
            object_type="user",
            object_ids=[bob.pk],
            subject_user=bob,
            details={"fields": ["email"]},
        ),
        "charlie_view": at(
            DAY + datetime.timedelta(hours=2),
            action=AuditAction.VIEW,
            actor=charlie,
            organization=org_b,
        ),
    }


# --- Who may export -------------------------------------------------------------------------


@pytest.mark.parametrize("url", [CSV_URL, JSON_URL])
def test_login_is_required(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("url", [CSV_URL, JSON_URL])
def test_a_member_gets_404_and_nothing_is_exported(client, alice, history, url):
    client.force_login(alice)

    response = client.get(url)

    assert response.status_code == 404
    assert events(AuditAction.EXPORT) == []
    assert len(events(AuditAction.ACCESS_DENIED)) == 1


def test_a_manager_cannot_export_another_organizations_log(client, bob, org_b, history):
    client.force_login(bob)

    response = client.get(reverse("audit:org_export_csv", args=[org_b.slug]))

    assert response.status_code == 404
    assert events(AuditAction.EXPORT) == []


# --- CSV ------------------------------------------------------------------------------------


def test_the_csv_holds_the_organizations_events_oldest_first(client, bob, alice, tech, history):
    client.force_login(bob)

    response = client.get(CSV_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="access-log-org-a-')
    rows = csv_rows(response)
    assert list(rows[0]) == FIELDS + [name for name, _ in CSV_NAME_FIELDS]
    assert [r["event_id"] for r in rows] == [
        str(history["login"].public_id),
        str(history["mallory_view"].public_id),
        str(history["staff_change"].public_id),
    ]
    login, _, change = rows
    assert login == {
        "event_id": str(history["login"].public_id),
        "occurred_at": "2026-03-10T09:00:00+00:00",
        "action": "auth.login",
        "actor_id": str(alice.pk),
        "actor_role": "member",
        "actor_is_staff": "false",
        "grant_id": "",
        "object_type": "",
        "object_ids": "",
        "subject_user_id": str(alice.pk),
        "request_id": "",
        "ip_prefix": "",
        "details": "",
        "actor_name": "Alice Anders",
        "subject_name": "Alice Anders",
    }
    assert change["actor_id"] == str(tech.pk)
    assert change["actor_is_staff"] == "true"
    assert change["actor_name"] == ""  # staff names are on the page, not in the file
    assert change["subject_name"] == "Bob Berg"
    assert change["details"] == '{"fields": ["email"]}'


def test_the_csv_never_holds_another_organizations_events(client, bob, history):
    client.force_login(bob)

    content = body(client.get(CSV_URL))

    assert str(history["charlie_view"].public_id).encode() not in content
    assert b"Charlie" not in content


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(client, bob, mallory, history):
    client.force_login(bob)

    content = body(client.get(CSV_URL))

    # The raw bytes: the cell is quoted (it holds quotes) and starts with an apostrophe.
    assert b'"\'=HYPERLINK(""https://evil.example"",""x"") @SUM"' in content
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    [row] = [r for r in rows if r["actor_id"] == str(mallory.pk)]
    assert row["actor_name"] == '\'=HYPERLINK("https://evil.example","x") @SUM'
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())


def test_a_reader_who_may_not_see_users_gets_no_names(
    staff_client, security_officer, org_a, history
):
    response = staff_client(security_officer).get(
        reverse("audit:org_export_csv", args=[org_a.slug])
    )

    content = body(response)
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert list(rows[0]) == FIELDS
    assert len(rows) == 3
    assert b"Alice" not in content


def test_the_csv_applies_the_filters(client, bob, alice, history):
    client.force_login(bob)

    response = client.get(CSV_URL, {"actor": str(alice.pk), "date_to": "2026-03-10"})

    assert [r["event_id"] for r in csv_rows(response)] == [str(history["login"].public_id)]


def test_an_invalid_filter_refuses_the_export(client, bob, history):
    client.force_login(bob)

    response = client.get(CSV_URL, {"actor": "not-an-id"})

    assert response.status_code == 400
    assert events(AuditAction.EXPORT) == []


def test_the_csv_streams_in_batches_each_in_the_organizations_scope(
    client, bob, alice, org_a, monkeypatch
):
    monkeypatch.setattr(queries, "EXPORT_BATCH_SIZE", 2)
    created = [
        at(
            DAY + datetime.timedelta(minutes=i),
            action=AuditAction.VIEW,
            actor=alice,
            organization=org_a,
        )
        for i in range(5)
    ]
    client.force_login(bob)

    response = client.get(CSV_URL)
    chunks = list(response.streaming_content)

    assert current_scope() == NO_SCOPE  # no tenant leaked out of the stream
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
    assert [r["event_id"] for r in rows] == [str(e.public_id) for e in created]
    assert all(r["actor_name"] == "Alice Anders" for r in rows)


# --- JSON -----------------------------------------------------------------------------------


def test_the_json_parses_and_holds_ids_only(client, bob, alice, tech, history):
    client.force_login(bob)

    response = client.get(JSON_URL)

    assert response["Content-Type"] == "application/json"
    document = json.loads(body(response))
    assert document["format_version"] == 1
    assert document["organization_id"] == str(bob.organization_id)
    assert document["fields"] == FIELDS
    assert document["up_to_event_id"] == str(history["staff_change"].public_id)
    assert [e["event_id"] for e in document["events"]] == [
        str(history["login"].public_id),
        str(history["mallory_view"].public_id),
        str(history["staff_change"].public_id),
    ]
    assert all(list(e) == FIELDS for e in document["events"])
    change = document["events"][2]
    assert change["actor_id"] == str(tech.pk)
    assert change["actor_is_staff"] is True
    assert change["object_ids"] == [str(bob.pk)]
    assert change["details"] == {"fields": ["email"]}
    text = body(client.get(JSON_URL)).decode()
    for name in ("Alice", "Anders", "Bob", "Berg", "HYPERLINK", "Charlie"):
        assert name not in text


def test_an_empty_export_is_valid_json(client, bob):
    client.force_login(bob)

    document = json.loads(body(client.get(JSON_URL, {"action": AuditAction.DELETE})))

    assert document["events"] == []
    assert document["up_to_event_id"] is None
    assert document["filters"] == {"action": "data.delete"}


# --- The log of the exports -----------------------------------------------------------------


@pytest.mark.parametrize(("url", "export_format"), [(CSV_URL, "csv"), (JSON_URL, "json")])
def test_each_export_is_logged_with_its_format_filters_and_bound(
    client, bob, history, url, export_format
):
    client.force_login(bob)

    response = client.get(url, {"action": AuditAction.VIEW})
    content = body(response)

    [exported] = events(AuditAction.EXPORT)
    assert exported.actor_id == bob.pk
    assert exported.organization_id == bob.organization_id
    assert exported.object_type == "audit_event"
    assert exported.object_ids == [str(history["mallory_view"].public_id)]
    assert exported.details == {"format": export_format, "filters": {"action": "data.view"}}
    assert exported.request_id == response["X-Request-ID"]
    # The export stops at the newest event when it began: not its own EXPORT event.
    assert str(exported.public_id).encode() not in content


def test_events_recorded_while_streaming_are_left_out(client, bob, alice, org_a, history):
    client.force_login(bob)
    response = client.get(JSON_URL)
    late = record_event(action=AuditAction.LOGIN, actor=alice, organization=org_a)

    document = json.loads(body(response))

    assert str(late.public_id) not in [e["event_id"] for e in document["events"]]


def test_export_batches_walks_the_log_oldest_first(alice, org_a):
    created = [
        at(
            DAY + datetime.timedelta(seconds=i),
            action=AuditAction.VIEW,
            actor=alice,
            organization=org_a,
        )
        for i in range(5)
    ]
    with tenant_context(org_a):
        batches = list(
            queries.export_batches(queries.AccessLogFilters(), up_to_id=created[-1].id, size=2)
        )

    assert [len(b) for b in batches] == [2, 2, 1]
    assert [e.pk for b in batches for e in b] == [e.pk for e in created]
