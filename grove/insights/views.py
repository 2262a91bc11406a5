"""The managers' adoption dashboard: the page and its CSV export.

A client manager reads their organization's at /insights/; staff whom ``authorize`` allows
(the CSM serving the organization, a break-glass grant) read the same at /insights/org/<id or
slug>/. Members and everyone else get the authorisation function's logged 404. Every page shown
and every export is logged.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from grove.core.csv import csv_lines
from grove.staff.authorization import (
    Access,
    Capability,
    access_scope,
    authorize,
    organization_for,
)

from . import actions, exports, pages, queries
from .forms import PeriodForm


@require_GET
@never_cache
@login_required
def dashboard_view(request, organization: str | None = None):
    access = _authorize(request, organization)
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Invalid period."), content_type="text/plain")
    months = form.period_months()
    with access_scope(access):
        board = queries.dashboard(months=months)
    actions.dashboard_viewed(request=request, access=access, months=months)
    return render(
        request,
        "insights/dashboard.html",
        {
            "organization": access.organization,
            "organization_param": organization,
            "board": board,
            "panels": pages.panels(board),
            "form": PeriodForm(initial={"months": months}),
            "months": months,
            "k_anonymity": pages.K_ANONYMITY,
        },
    )


@require_GET
@never_cache
@login_required
def dashboard_export_view(request, organization: str | None = None):
    access = _authorize(request, organization)
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Invalid period."), content_type="text/plain")
    months = form.period_months()
    with access_scope(access):
        board = queries.dashboard(months=months)
    actions.dashboard_exported(request=request, access=access, months=months)
    filename = f"dashboard-{access.organization.slug}-{timezone.now():%Y%m%dT%H%M%SZ}.csv"
    response = HttpResponse(
        "".join(csv_lines(exports.rows(board))), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _authorize(request, organization: str | None) -> Access:
    """The reader's access to the dashboard of the organization in the URL, or of their own."""
    user = request.user
    if organization is not None:
        return organization_for(
            user=user,
            organization_id_or_slug=organization,
            capability=Capability.DASHBOARD_READ,
            request=request,
        )
    if user.organization_id is None:
        raise Http404("Not found.")  # staff name the organization in the URL
    return authorize(
        user=user,
        organization=user.organization,
        capability=Capability.DASHBOARD_READ,
        request=request,
    )
