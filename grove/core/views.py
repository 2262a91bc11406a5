from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render


@login_required
def home(request):
    """Members land on their organization's feed; staff on their own start page."""
    user = request.user
    if user.organization_id and not user.is_operator_staff:
        from grove.practices.views import feed_response

        return feed_response(request, template="practices/home.html")
    return render(request, "core/home.html", {"organization": _organization_of(user)})


def _organization_of(user):
    return user.organization if user.organization_id else None


def healthz(request):
    """Liveness and database reachability, for the load balancer. No data, no login."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
