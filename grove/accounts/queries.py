"""Reads of accounts, scoped to what the caller may see."""

from __future__ import annotations

import uuid

from django.utils.http import urlsafe_base64_decode

from grove.tenancy.context import unscoped

from .backends import EmailBackend
from .models import User


def user_for_password_reset_link(uidb64: str) -> User | None:
    """The account a password reset link names, or None for a malformed link or an account
    that can no longer log in (unknown, deactivated, organization ended).

    Whoever opens the link is not logged in, so the lookup crosses tenants; the caller must
    still check the link's token before trusting the account.
    """
    try:
        user_id = uuid.UUID(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    with unscoped("password reset: load the account the link names"):
        user = User.objects.select_related("organization").filter(pk=user_id).first()
    return user if user is not None and EmailBackend().user_can_authenticate(user) else None
