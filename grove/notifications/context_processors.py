"""The unread-notification count for the page header."""

from __future__ import annotations

from .queries import unread_count


class UnreadCount:
    """The count, asked at most once, and only if a template shows it (templates call a
    callable variable: ``{% if unread_notifications_count %}`` gets the number)."""

    def __init__(self, member) -> None:
        self._member = member
        self._value: int | None = None

    def __call__(self) -> int:
        if self._value is None:
            self._value = unread_count(self._member)
        return self._value


def unread_notifications(request) -> dict:
    """``unread_notifications_count``: one COUNT for a logged-in member of an organization;
    anonymous visitors and operator staff get 0 without a query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "organization_id", None):
        return {"unread_notifications_count": 0}
    return {"unread_notifications_count": UnreadCount(user)}
