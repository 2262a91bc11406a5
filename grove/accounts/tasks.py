"""Background tasks of the accounts app (django-tasks). Arguments are ids only: the
invitation's token is made inside the task, never passed to it."""

from django_tasks import task

from .invitations import deliver_invitation, deliver_invitations


@task()
def send_invitations(invitation_ids: list[str], organization_id: str) -> dict:
    """Mail the invitations' activation links, one after the other over one mail connection.

    Returns the counts ``sent``/``skipped``/``failed``; raises RuntimeError (counts only) when
    a mail could not be sent, after trying every other one, so the failure shows in the task's
    result. Running it again sends only the invitations not sent yet."""
    report = deliver_invitations(invitation_ids=invitation_ids, organization_id=organization_id)
    if report.failed:
        raise RuntimeError(
            f"{report.failed} of {len(invitation_ids)} invitation mails not sent"
            f" ({report.sent} sent, {report.skipped} skipped)"
        )
    return {"sent": report.sent, "skipped": report.skipped, "failed": report.failed}


@task()
def send_invitation(invitation_id: str, organization_id: str) -> bool:
    """Mail one invitation's activation link; returns whether a mail left. Superseded by
    ``send_invitations``; kept so tasks enqueued before it still run."""
    return deliver_invitation(invitation_id=invitation_id, organization_id=organization_id)
