"""The benchmarked views.

``tenant_users``: one page of the tenant's people, as a directory page would list them (rls).
``person`` / ``person_unlogged``: one person of the tenant, as a profile page would show them,
with the read recorded in the access log or not (access_log). Until practices exist, a person is
the client data a read shows.
``trivial``: the yardstick of the practices benchmark, Django's whole stack and no database.
``practices_bare``: the issue's reference point, one indexed 20-row SELECT of the member's
organization's newest published practices (the feed's index), as plain values: what a feed
costs before targeting, boosts, tags, reactions, serialisation and the access log.
``practices_bare_anonymous``: the same SELECT with no session and no user (the organization in
the query string): the issue's own reference view, to check its 0.32-0.40x on this machine.
``practices_bare_logged``: ``practices_bare`` plus the access-log append of the 20 rows shown,
as the feed records its read: the least any logged-in feed request must do here (log in from
the session, read one page, record the read).
"""

import uuid

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404

from grove.accounts.models import User
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.practices.models import Practice
from grove.tenancy.context import tenant_context


@login_required
def tenant_users(request):
    users = (
        User.objects.filter(is_active=True)
        .order_by("last_name", "first_name")
        .values("id", "organization_id", "first_name", "last_name", "job_type__name")[:20]
    )
    return JsonResponse(
        {
            "organization": str(request.organization_id),
            "users": [
                {
                    "id": str(user["id"]),
                    "organization": str(user["organization_id"]),
                    "name": f"{user['first_name']} {user['last_name']}",
                    "job": user["job_type__name"],
                }
                for user in users
            ],
        }
    )


def person_for_member(member, person_id, *, request, log: bool = True) -> User:
    """One person of the member's organization, or 404; the read is recorded when ``log``."""
    person = get_object_or_404(User.objects.select_related("job_type"), pk=person_id)
    if log:
        record_event(
            action=AuditAction.VIEW,
            actor=member,
            organization=member.organization_id,
            object_type="user",
            object_ids=[person.pk],
            subject_user=person.pk,
            request=request,
            read=True,
        )
    return person


def _person_response(person: User) -> JsonResponse:
    return JsonResponse(
        {
            "id": str(person.pk),
            "organization": str(person.organization_id),
            "name": f"{person.first_name} {person.last_name}",
            "job": person.job_type.name if person.job_type else None,
            "country": str(person.country),
        }
    )


@login_required
def person(request, person_id):
    return _person_response(person_for_member(request.user, person_id, request=request))


@login_required
def person_unlogged(request, person_id):
    return _person_response(person_for_member(request.user, person_id, request=request, log=False))


@transaction.non_atomic_requests
def trivial(request):
    """Every middleware, no query: what serving costs before any work (no session cookie sent)."""
    return HttpResponse(b"ok", content_type="text/plain")


def _newest_published(organization_id) -> list[dict]:
    return list(
        Practice.objects.filter(organization_id=organization_id, status="published")
        .order_by("-published_at", "-id")
        .values("id", "title", "published_at", "adoption_count")[:20]
    )


def _bare_response(rows: list[dict]) -> JsonResponse:
    return JsonResponse(
        {
            "items": [
                {
                    "id": str(row["id"]),
                    "title": row["title"],
                    "published_at": row["published_at"].isoformat(),
                    "adoption_count": row["adoption_count"],
                }
                for row in rows
            ]
        }
    )


@login_required
def practices_bare(request):
    return _bare_response(_newest_published(request.organization_id))


@transaction.non_atomic_requests
def practices_bare_anonymous(request):
    organization_id = uuid.UUID(request.GET["organization"])
    with tenant_context(organization_id):  # RLS needs the tenant; no session, no user
        return _bare_response(_newest_published(organization_id))


@transaction.non_atomic_requests  # as the API's reads: the append commits on its own
@login_required
def practices_bare_logged(request):
    rows = _newest_published(request.organization_id)
    record_event(
        action=AuditAction.LIST,
        actor=request.user,
        organization=request.organization_id,
        object_type="practice",
        object_ids=[row["id"] for row in rows],
        request=request,
        read=True,
        details={"list": "bench"},
    )
    return _bare_response(rows)
