"""Background tasks of the accounts app (django-tasks). Arguments are ids only: the
invitation's token is made inside the task, never passed to it."""

from django_tasks import task

from .invitations import deliver_invitation


@task()
def send_invitation(invitation_id: str, organization_id: str) -> bool:
    """Mail one invitation's activation link; returns whether a mail left."""
    return deliver_invitation(invitation_id=invitation_id, organization_id=organization_id)
