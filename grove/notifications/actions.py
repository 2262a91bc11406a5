"""In-app notifications, written in the same transaction as the action that causes them.

The practices actions call these; none of them sends mail (digests go through the task queue).
"""

from __future__ import annotations


def notify_comment(*, comment) -> None:
    """Tell the practice's author (and, for a reply, the parent comment's author) about a new
    comment; nobody is notified of their own comment."""
    return None


def notify_adopted(*, practice, adopter) -> None:
    """Tell the practice's author that ``adopter`` adopted it (not when they adopt their own)."""
    return None


def notify_highlighted(*, practice, actor) -> None:
    """Tell the practice's author that a manager highlighted it."""
    return None


def notify_moderated(*, practice, actor, approved: bool, reason: str = "") -> None:
    """Tell the author their practice was validated, or sent back to draft with a reason."""
    return None
