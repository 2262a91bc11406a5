"""Deletion certificates: what a purge removed, as counts and hashes, signed.

Per model touched, an entry: rows, action ("deleted", "anonymised", "fields cleared"), the
data-map categories present, and ``ids_digest``: the sum modulo 2**256 of
SHA-256("<app_label.Model>:<pk>") over the rows. A sum does not depend on the order, so the
purge accumulates it batch by batch (in the certificate's ``progress``, resumable), and anyone
holding the list of ids (the client's export, a backup) can recompute it. The certificate's
``ids_digest`` is the SHA-256 of the canonical JSON of its entries; its ``signature`` is the
HMAC-SHA256 (``GROVE_RETENTION_CERTIFICATE_KEY``, else ``AUDIT_HASH_KEY``) of the canonical
JSON of every field but the signature. No names, no emails: it outlives everything.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable

from django.conf import settings

from .models import DeletionCertificate

MODULUS = 1 << 256


# --- Digests ---------------------------------------------------------------------------------


def id_hash(label: str, pk) -> int:
    """SHA-256 of ``"<label>:<pk>"`` as an integer (the pk as ``str()`` gives it)."""
    return int.from_bytes(hashlib.sha256(f"{label}:{pk}".encode()).digest(), "big")


def accumulate(accumulator: int, label: str, pks: Iterable) -> int:
    """``accumulator`` plus every pk's hash, modulo 2**256."""
    total = accumulator
    sha256 = hashlib.sha256
    for pk in pks:
        total += int.from_bytes(sha256(f"{label}:{pk}".encode()).digest(), "big")
    return total % MODULUS


def ids_digest(label: str, pks: Iterable) -> str:
    """The digest of a whole list of ids (what anyone holding the list can recompute)."""
    return as_hex(accumulate(0, label, pks))


def as_hex(accumulator: int) -> str:
    return f"{accumulator % MODULUS:064x}"


def from_hex(value: str) -> int:
    return int(value, 16) if value else 0


# --- Canonical form and signature ------------------------------------------------------------


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def entries_of(certificate: DeletionCertificate) -> list[dict]:
    """The per-model entries, in a stable order, as the certificate shows them."""
    raw = (certificate.progress or {}).get("entries", {})
    entries = []
    for entry in raw.values():
        entries.append(
            {
                "model": entry["model"],
                "table": entry["table"],
                "category": list(entry["category"]),
                "action": entry["action"],
                "rows": entry["rows"],
                "ids_digest": as_hex(from_hex(entry.get("acc", ""))),
            }
        )
    return sorted(entries, key=lambda e: (e["model"], e["action"]))


def certificate_digest(entries: list[dict]) -> str:
    return hashlib.sha256(canonical_json(entries).encode()).hexdigest()


def _when(value) -> str | None:
    return value.isoformat() if value is not None else None


def signed_fields(certificate: DeletionCertificate) -> dict:
    """Every field the signature covers (all but the signature), JSON-ready."""
    return {
        "id": str(certificate.pk),
        "organization": str(certificate.organization_id),
        "kind": certificate.kind,
        "status": certificate.status,
        "rule": certificate.rule,
        "due_on": _when(certificate.due_on),
        "started_at": _when(certificate.started_at),
        "completed_at": _when(certificate.completed_at),
        "run_by": certificate.run_by,
        "entries": entries_of(certificate),
        "total_rows": certificate.total_rows,
        "files_deleted": certificate.files_deleted,
        "ids_digest": certificate.ids_digest,
        "vacuum": certificate.vacuum or {},
        "managers_notified_at": _when(certificate.managers_notified_at),
    }


def _key() -> bytes:
    return (settings.GROVE_RETENTION_CERTIFICATE_KEY or settings.AUDIT_HASH_KEY).encode()


def sign(certificate: DeletionCertificate) -> str:
    """HMAC-SHA256 of the canonical JSON of ``signed_fields`` (hex)."""
    payload = canonical_json(signed_fields(certificate)).encode()
    return hmac.new(_key(), payload, hashlib.sha256).hexdigest()


def verify_certificate(certificate: DeletionCertificate) -> bool:
    """Whether the certificate is completed and its signature matches what it says."""
    if not certificate.signature:
        return False
    return hmac.compare_digest(certificate.signature, sign(certificate))


def certificate_document(certificate: DeletionCertificate) -> dict:
    """The certificate as shown to staff, mailed and downloaded (JSON-ready): counts, hashes,
    dates, who or what ran it, and the signature (empty while the purge runs)."""
    document = signed_fields(certificate)
    if not document["ids_digest"]:
        # A running purge (the managers' mail): the digest of the entries so far.
        document["ids_digest"] = certificate_digest(document["entries"])
    document["signature"] = certificate.signature
    document["algorithm"] = {
        "ids_digest": "sum mod 2^256 of SHA-256('<app_label.Model>:<pk>') per model; "
        "certificate ids_digest = SHA-256 of the canonical JSON of the entries",
        "signature": "HMAC-SHA256 of the canonical JSON of every field but the signature",
    }
    return document
