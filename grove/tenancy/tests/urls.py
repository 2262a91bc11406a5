"""A tiny view for the middleware tests: what the request's tenant can see."""

from django.db import connection
from django.http import JsonResponse
from django.urls import path

from grove.tenancy.context import TenantScopeError, current_organization_id
from grove.tenancy.models import Organization


def visible_organizations(request):
    organization_id = current_organization_id()
    try:
        orm = sorted(str(pk) for pk in Organization.objects.values_list("pk", flat=True))
    except TenantScopeError:
        orm = None
    raw = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM tenancy_organization")
            raw = sorted(str(row[0]) for row in cursor.fetchall())
    return JsonResponse(
        {
            "tenant": str(organization_id) if organization_id else None,
            "orm": orm,
            "raw": raw,
        }
    )


urlpatterns = [path("visible-organizations", visible_organizations)]
