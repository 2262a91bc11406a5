"""The departed member's purge: the erasure machinery, a USER certificate, no mail."""

import datetime

from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from grove.practices.models import Practice, Reaction
from grove.retention.certificates import ids_digest, verify_certificate
from grove.retention.models import CertificateStatus, PurgeKind
from grove.retention.purge import purge_departed_user
from grove.rights.tests.test_erasure_support import search_blindly
from grove.tenancy.context import unscoped

from .conftest import organization_counts


def _departed(user):
    with unscoped("test"):
        get_user_model()._base_manager.filter(pk=user.pk).update(
            is_active=False, deprovisioned_at=timezone.now() - datetime.timedelta(days=31)
        )


def test_a_departed_members_data_is_purged_with_a_certificate(retention_world):
    org = retention_world.a.organization
    dora = retention_world.a.members[1]
    _departed(dora)
    with unscoped("test"):
        reactions = list(Reaction._base_manager.filter(user=dora).values_list("pk", flat=True))
    b_before = organization_counts(retention_world.b.organization)
    practices_before = organization_counts(org)["practices.Practice"]
    mail.outbox.clear()

    certificate = purge_departed_user(
        user=dora, rule="deprovisioned+30d", due_on=datetime.date(2026, 1, 1), run_by="test"
    )

    assert certificate.kind == PurgeKind.USER
    assert certificate.status == CertificateStatus.COMPLETED
    assert verify_certificate(certificate)
    entries = {(e["model"], e["action"]): e for e in certificate.progress["entries"].values()}
    assert entries[("practices.Reaction", "deleted")]["rows"] == len(reactions) == 3
    assert entries[("practices.Reaction", "deleted")]["acc"] == ids_digest(
        "practices.Reaction", reactions
    )
    assert entries[("accounts.User", "anonymised")]["rows"] == 1
    # Her practice stays, as "former member" (the organization keeps its content).
    assert ("practices.Practice", "fields cleared") in entries
    assert organization_counts(org)["practices.Practice"] == practices_before
    with unscoped("test"):
        row = get_user_model()._base_manager.get(pk=dora.pk)
        assert row.erased_at is not None and row.email != "dora@a.example"
        assert not Reaction._base_manager.filter(user=dora).exists()
        assert not Practice._base_manager.filter(author=dora).exists()
    assert search_blindly(["dora@a.example", "Dahl"]) == []
    assert search_blindly(["alice@a.example"])  # the others stay
    assert organization_counts(retention_world.b.organization) == b_before
    assert mail.outbox == []


def test_a_departed_members_purge_enters_the_erasure_ledger_with_its_stored_copy(
    retention_world, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    from grove.rights.erasure import ledger_copy_name, ledger_hash, replay_erasures
    from grove.rights.models import ErasureRecord

    dora = retention_world.a.members[1]
    _departed(dora)
    with django_capture_on_commit_callbacks(execute=True):
        purge_departed_user(
            user=dora, rule="deprovisioned+30d", due_on=datetime.date(2026, 1, 1), run_by="test"
        )
    with unscoped("test"):
        (record,) = ErasureRecord._base_manager.filter(user_id=dora.pk)
    assert record.email_hash == ledger_hash("dora@a.example")
    assert record.counts["deleted"]["practices.Reaction"] == 3
    copy = ledger_copy_name(record.organization_id, record.pk)
    assert default_storage.exists(copy)
    assert b"dora" not in default_storage.open(copy).read()
    # A restore from an older backup would bring Dora back; the ledger's replay erases her.
    with unscoped("test"):
        get_user_model()._base_manager.filter(pk=dora.pk).update(
            email="dora@a.example", last_name="Dahl", erased_at=None
        )
    replay_erasures()
    assert search_blindly(["dora@a.example", "Dahl"]) == []
