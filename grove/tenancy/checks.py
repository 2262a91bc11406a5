from django.conf import settings
from django.core import checks


def binding_problems(database: dict) -> list[checks.CheckMessage]:
    """The RLS wrapper prefixes statements, which needs psycopg's client-side binding cursors."""
    if database["ENGINE"] != "django.db.backends.postgresql":
        return []
    if database.get("OPTIONS", {}).get("server_side_binding"):
        return [
            checks.Error(
                "server_side_binding is on: the tenant cannot be set in the statement's round trip",
                hint="Remove OPTIONS['server_side_binding'] (see grove/tenancy/db.py)",
                id="tenancy.E001",
            )
        ]
    return []


@checks.register("database")
def check_client_side_binding(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    return binding_problems(settings.DATABASES["default"])
