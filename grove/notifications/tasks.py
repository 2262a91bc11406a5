"""Background tasks of the notifications app (django-tasks): one digest mail per member.

``manage.py send_digests`` (hourly, from the host's scheduler) enqueues them; the ``db_worker``
runs them. Arguments are ids only, never an address or a name.
"""

from django_tasks import task

from .digest import deliver_digest


@task()
def send_digest(user_id: str, organization_id: str) -> int:
    """Send one member's digest if still due; returns how many practices it listed."""
    return deliver_digest(user_id=user_id, organization_id=organization_id)
