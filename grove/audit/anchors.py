"""The daily anchor: each chain's head, copied where a database rewrite cannot reach it.

``write_anchors()`` stores the heads as AuditAnchor rows, writes them as a JSON file through
Django's default storage (``audit-anchors/YYYY-MM-DD.json``) and mails them to the security
officers once the transaction commits. A chain rewritten afterwards, hashes and head included,
disagrees with the anchors (``verify_access_log``, with ``--anchor-file`` for the mailed copy or
``--stored-anchor`` for the stored one when the database's own anchors may have been rewritten
too). Chain keys, sequences and hashes only: no names, no emails.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from grove.accounts.models import StaffRole, User
from grove.tenancy.context import unscoped

from .events import record_event
from .models import AuditAction, AuditAnchor, AuditChainHead

ANCHOR_DIRECTORY = "audit-anchors"


@dataclass(frozen=True)
class AnchorBatch:
    written_at: datetime.datetime
    anchors: list[dict]
    file_name: str
    file_sha256: str
    recipients: int


def anchor_document(written_at: datetime.datetime, anchors: list[dict]) -> bytes:
    document = {"written_at": written_at.isoformat(), "anchors": anchors}
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("ascii")


@transaction.atomic
def write_anchors(*, now: datetime.datetime | None = None) -> AnchorBatch:
    """Anchor every chain's head: a row each, one file in storage, one mail (on commit)."""
    written_at = now or timezone.now()
    with unscoped("audit: anchor the heads of every access-log chain"):
        heads = list(
            AuditChainHead.objects.order_by("chain_key").values_list(
                "chain_key", "last_sequence", "last_hash"
            )
        )
        AuditAnchor.objects.bulk_create(
            AuditAnchor(chain_key=key, sequence=sequence, hash=digest, created_at=written_at)
            for key, sequence, digest in heads
        )
        officers = list(
            User.objects.filter(staff_role=StaffRole.SECURITY_OFFICER, is_active=True)
            .order_by("email")
            .values_list("email", flat=True)
        )
    anchors = [
        {"chain": str(key), "sequence": sequence, "hash": digest} for key, sequence, digest in heads
    ]
    content = anchor_document(written_at, anchors)
    digest = hashlib.sha256(content).hexdigest()
    # An existing name gets a suffix from the storage: a second run the same day keeps both.
    name = default_storage.save(
        f"{ANCHOR_DIRECTORY}/{written_at.astimezone(datetime.UTC):%Y-%m-%d}.json",
        ContentFile(content),
    )
    record_event(
        action=AuditAction.ANCHOR_WRITTEN,
        object_type="access_log_anchor",
        details={"chains": len(anchors), "file": name, "sha256": digest},
    )
    transaction.on_commit(lambda: _mail(officers, written_at, anchors, name, content, digest))
    return AnchorBatch(written_at, anchors, name, digest, len(officers))


def _mail(officers, written_at, anchors, name, content: bytes, digest: str) -> None:
    if not officers:
        return
    lines = [
        f"Access-log anchor written {written_at.astimezone(datetime.UTC):%Y-%m-%d %H:%M:%S} UTC.",
        "Keep this mail: `manage.py verify_access_log --anchor-file <the attachment>` checks the",
        "log against it, even if the database's own anchors were rewritten.",
        "",
        f"File in storage: {name} (sha256 {digest})",
        "",
        "chain                                 sequence  hash",
    ]
    lines += [f"{a['chain']}  {a['sequence']:>8}  {a['hash']}" for a in anchors]
    message = EmailMessage(
        subject=f"Grove access-log anchor {written_at.astimezone(datetime.UTC):%Y-%m-%d}",
        body="\n".join(lines) + "\n",
        to=officers,
    )
    message.attach(name.rsplit("/", 1)[-1], content, "application/json")
    message.send()
