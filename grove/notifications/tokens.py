"""The digest's one-click unsubscribe token: the user's id, signed (no expiry: an old digest's
link keeps working). Tampering gives ``None``, which the page answers with a 404."""

from __future__ import annotations

import uuid

from django.core import signing

SALT = "grove.notifications.unsubscribe"


def unsubscribe_token(user) -> str:
    return signing.dumps(str(user.pk), salt=SALT)


def user_id_from_token(token: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(signing.loads(token, salt=SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return None
