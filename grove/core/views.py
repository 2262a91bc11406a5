from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render


@login_required
def home(request):
    return render(request, "core/home.html", {"organization": _organization_of(request.user)})


def _organization_of(user):
    return user.organization if user.organization_id else None


def healthz(request):
    """Liveness and database reachability, for the load balancer. No data, no login."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
