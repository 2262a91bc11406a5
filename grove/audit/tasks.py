"""Access-log background work: the daily anchor of the chain heads (docs/operations.md)."""

from __future__ import annotations

from django_tasks import task

from .anchors import write_anchors


@task()
def write_access_log_anchor() -> dict:
    """Anchor every chain's head (a row each, a file in storage, a mail); ids only."""
    batch = write_anchors()
    return {"chains": len(batch.anchors), "file": batch.file_name}
