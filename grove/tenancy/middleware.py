from .context import no_tenant, tenant_context


class TenantMiddleware:
    """Sets the request's tenant from the logged-in user, for the ORM and for RLS alike.

    Operator staff have no tenant: their tools reach client data only through the staff
    authorisation checks and the explicit escape hatch.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        organization_id = getattr(user, "organization_id", None) if user.is_authenticated else None
        request.organization_id = organization_id
        scope = tenant_context(organization_id) if organization_id else no_tenant()
        with scope:
            return self.get_response(request)
