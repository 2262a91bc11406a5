"""An organization's access log: the page (filters, newest first, a cursor) and its exports.

Client managers read their own organization's log at /access-log/. Staff whom ``authorize``
allows (the CSM serving the organization, security officers, a break-glass grant) read the same
page at /access-log/org/<id or slug>/. Every refusal is the authorisation function's logged 404;
every page shown and every export is logged too.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from grove.staff.authorization import (
    Access,
    Capability,
    access_scope,
    authorize,
    organization_for,
    permits,
)

from . import actions, exports, queries
from .forms import AccessLogFilterForm
from .models import AuditAction
from .queries import STAFF_ROLES

ACTION_LABELS = dict(AuditAction.choices)


@require_GET
@never_cache
@login_required
def access_log_view(request, organization: str | None = None):
    access = _authorize(request, organization)
    with_names = _may_see_users(access)
    with access_scope(access):
        form = AccessLogFilterForm(
            request.GET or None,
            actor_choices=queries.actor_choices(include_org_users=with_names),
        )
        filters = form.filters() if form.is_valid() else queries.AccessLogFilters()
        page = queries.events_page(filters, before=request.GET.get("before"))
        names = queries.display_names(page.events, include_org_users=with_names)
        grants = queries.grants_by_id(page.events)
    actions.access_log_listed(request=request, access=access, events=page.events, filters=filters)
    return render(
        request,
        "audit/access_log.html",
        {
            "organization": access.organization,
            "organization_param": organization,
            "form": form,
            "rows": [_row(event, names, grants) for event in page.events],
            "next_before": page.next_before,
            "filter_query": _filter_query(request),
            "export_fields": exports.EXPORT_FIELDS,
            "csv_name_fields": exports.CSV_NAME_FIELDS if with_names else (),
        },
    )


@require_GET
@never_cache
@login_required
def access_log_export_view(request, export_format: str, organization: str | None = None):
    access = _authorize(request, organization)
    form = AccessLogFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        # Never a wider export than asked for: a filter that does not parse is refused.
        return HttpResponseBadRequest(gettext("Invalid filters."), content_type="text/plain")
    filters = form.filters() if request.GET else queries.AccessLogFilters()
    with access_scope(access):
        up_to_event = queries.newest_event(filters)
    actions.access_log_exported(
        request=request,
        access=access,
        export_format=export_format,
        filters=filters,
        up_to_event=up_to_event,
    )
    now = timezone.now()
    filename = f"access-log-{access.organization.slug}-{now:%Y%m%dT%H%M%SZ}.{export_format}"
    if export_format == "csv":
        stream = exports.csv_stream(
            organization_id=access.organization.pk,
            filters=filters,
            up_to_id=up_to_event.id if up_to_event else None,
            with_names=_may_see_users(access),
        )
        content_type = "text/csv; charset=utf-8"
    else:
        stream = exports.json_stream(
            organization_id=access.organization.pk,
            filters=filters,
            up_to_event=up_to_event,
            exported_at=now,
        )
        content_type = "application/json"
    response = StreamingHttpResponse(stream, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _authorize(request, organization: str | None) -> Access:
    """The reader's access to the log of the organization named in the URL, or of their own."""
    user = request.user
    if organization is not None:
        return organization_for(
            user=user,
            organization_id_or_slug=organization,
            capability=Capability.ACCESS_LOG_READ,
            request=request,
        )
    if user.organization_id is None:
        raise Http404("Not found.")  # staff name the organization in the URL
    return authorize(
        user=user,
        organization=user.organization,
        capability=Capability.ACCESS_LOG_READ,
        request=request,
    )


def _may_see_users(access: Access) -> bool:
    # Names of the organization's people are its users' data: shown to whoever may see them
    # (its managers, its CSM, a grant), not to a reader of logs alone (a security officer).
    return permits(
        user=access.user, organization=access.organization, capability=Capability.USERS_READ
    )


def _row(event, names: queries.Names, grants: dict) -> dict:
    is_staff = event.actor_role in STAFF_ROLES
    actor_names = names.staff if is_staff else names.org_users
    object_ids = [str(value) for value in event.object_ids]
    return {
        "event": event,
        "action_label": _action_label(event.action),
        "actor_name": actor_names.get(event.actor_id, "") if event.actor_id else "",
        "actor_is_staff": is_staff,
        "grant": grants.get(event.grant_id) if event.grant_id else None,
        "subject_name": names.org_users.get(event.subject_user_id, "")
        if event.subject_user_id
        else "",
        "object_ids_shown": object_ids[:3],
        "object_ids_more": max(len(object_ids) - 3, 0),
    }


def _action_label(action: str) -> str | Promise:
    return ACTION_LABELS.get(action, action)


def _filter_query(request) -> str:
    """The current filters as a query string, for the export links and the next page."""
    kept = request.GET.copy()
    kept.pop("before", None)
    return kept.urlencode()
