"""The benchmarked view: one page of the tenant's people, as a directory page would list them."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse

from grove.accounts.models import User


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
