"""Deletion certificates: order-free digests, canonical JSON, signature."""

import datetime
import hashlib

from grove.retention import certificates
from grove.retention.models import CertificateStatus, DeletionCertificate, PurgeKind


def _certificate(org) -> DeletionCertificate:
    certificate = DeletionCertificate(
        organization=org,
        kind=PurgeKind.ORGANIZATION_DATA,
        status=CertificateStatus.COMPLETED,
        rule="contract_end+30d",
        due_on=datetime.date(2026, 1, 31),
        run_by="scheduler",
        progress={
            "entries": {
                "practices.Practice|deleted": {
                    "model": "practices.Practice",
                    "table": "practices_practice",
                    "category": ["content"],
                    "action": "deleted",
                    "rows": 2,
                    "acc": certificates.ids_digest("practices.Practice", ["p1", "p2"]),
                }
            }
        },
        total_rows=2,
    )
    certificate.ids_digest = certificates.certificate_digest(certificates.entries_of(certificate))
    certificate.signature = certificates.sign(certificate)
    return certificate


def test_the_ids_digest_does_not_depend_on_order_or_batches():
    ids = [f"id{n}" for n in range(10)]
    whole = certificates.ids_digest("m.M", ids)
    assert whole == certificates.ids_digest("m.M", list(reversed(ids)))
    accumulator = 0
    for start in range(0, 10, 3):
        accumulator = certificates.accumulate(accumulator, "m.M", ids[start : start + 3])
    assert certificates.as_hex(accumulator) == whole
    expected = sum(int(hashlib.sha256(f"m.M:{pk}".encode()).hexdigest(), 16) for pk in ids) % (
        1 << 256
    )
    assert whole == f"{expected:064x}"
    assert certificates.ids_digest("m.M", ids[:9]) != whole


def test_a_signed_certificate_verifies_and_a_tampered_one_does_not(org_a, org_b):
    certificate = _certificate(org_a)
    assert certificates.verify_certificate(certificate)
    for change in (
        lambda c: setattr(c, "total_rows", 3),
        lambda c: setattr(c, "run_by", "someone"),
        lambda c: setattr(c, "organization", org_b),
        lambda c: c.progress["entries"]["practices.Practice|deleted"].update(rows=1),
        lambda c: setattr(c, "vacuum", {"vacuumed": ["x"]}),
    ):
        tampered = _certificate(org_a)
        change(tampered)
        assert not certificates.verify_certificate(tampered)
    unsigned = _certificate(org_a)
    unsigned.signature = ""
    assert not certificates.verify_certificate(unsigned)


def test_the_key_signs(org_a, settings):
    certificate = _certificate(org_a)
    settings.GROVE_RETENTION_CERTIFICATE_KEY = "another key"
    assert not certificates.verify_certificate(certificate)


def test_the_document_holds_counts_hashes_and_the_signature(org_a):
    certificate = _certificate(org_a)
    document = certificates.certificate_document(certificate)
    assert document["signature"] == certificate.signature
    assert document["entries"] == [
        {
            "model": "practices.Practice",
            "table": "practices_practice",
            "category": ["content"],
            "action": "deleted",
            "rows": 2,
            "ids_digest": certificates.ids_digest("practices.Practice", ["p1", "p2"]),
        }
    ]
    assert (
        document["ids_digest"]
        == hashlib.sha256(certificates.canonical_json(document["entries"]).encode()).hexdigest()
    )
    assert document["organization"] == str(org_a.pk)
