from django.utils import timezone

from grove.tenancy.context import tenant_context, unscoped


def stamp_last_login(sender, user, **kwargs) -> None:
    """Record the login time (a functional log field) in the account's own tenant scope."""
    user.last_login = timezone.now()
    if user.organization_id is None:
        scope = unscoped("login: stamp a staff account's last login")
    else:
        scope = tenant_context(user.organization_id)
    with scope:
        user.save(update_fields=["last_login"])
