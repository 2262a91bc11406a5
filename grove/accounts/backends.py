from django.contrib.auth.backends import ModelBackend

from grove.tenancy.context import unscoped

from .models import User


class EmailBackend(ModelBackend):
    """Email + password login. Looks users up across tenants (nobody is logged in yet) and
    refuses members of an organization whose contract is no longer active."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        login = (email or username or "").strip().lower()
        if not login or password is None:
            return None
        with unscoped("authentication: find the account by its login"):
            try:
                user = User.objects.select_related("organization").get(email=login)
            except User.DoesNotExist:
                User().set_password(password)  # same work as a real check: no timing oracle
                return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        with unscoped("authentication: load the session's user"):
            try:
                user = User.objects.select_related("organization").get(pk=user_id)
            except (User.DoesNotExist, ValueError):
                return None
        return user if self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user) -> bool:
        if not user.is_active:
            return False
        # An ended (or purged) organization's users can no longer log in, mid-session included.
        return user.organization is None or user.organization.is_active

    # Grove has no Django permissions: roles are decided by the authorisation functions.
    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        return False
