"""A real kill: the purge runs in another process, is SIGKILLed mid-way, then resumes here."""

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from grove.practices.models import Practice, PracticeRead, Reaction
from grove.retention import purge
from grove.retention.certificates import ids_digest, verify_certificate
from grove.retention.models import CertificateStatus, DeletionCertificate, PurgeKind
from grove.tenancy.context import unscoped

from .conftest import organization_counts

SCRIPT = """
import datetime, django
django.setup()
from grove.retention.purge import run_organization_purge
from grove.retention.models import PurgeKind
from grove.tenancy.models import Organization
from grove.tenancy.context import unscoped
with unscoped("test: the purge in a subprocess"):
    org = Organization._base_manager.get(pk="{org}")
run_organization_purge(organization=org, kind=PurgeKind.ORGANIZATION_DATA,
    rule="contract_end+30d", due_on=datetime.date(2026, 1, 31), run_by="subprocess")
"""


def _pks(model, org):
    with unscoped("test"):
        return list(model._base_manager.filter(organization_id=org.pk).values_list("pk", flat=True))


def _running(org):
    with unscoped("test"):
        return DeletionCertificate._base_manager.filter(organization_id=org.pk).first()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_killed_purge_resumes_to_the_same_result(retention_world, media_root, settings):
    org = retention_world.a.organization
    expected = {
        "practices.Practice": ids_digest("practices.Practice", _pks(Practice, org)),
        "practices.Reaction": ids_digest("practices.Reaction", _pks(Reaction, org)),
        "practices.PracticeRead": ids_digest("practices.PracticeRead", _pks(PracticeRead, org)),
    }
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "grove.settings",
        "SECRET_KEY": "t",
        "DATABASE_URL": url,
        "GROVE_DB_APP_ROLE": "",
        "MEDIA_ROOT": str(media_root),
        "GROVE_RETENTION_BATCH_SIZE": "1",
        "GROVE_RETENTION_BATCH_PAUSE": "0.3",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    process = subprocess.Popen(  # noqa: S603 -- our own interpreter and script
        [sys.executable, "-c", SCRIPT.format(org=org.pk)],
        env=env,
        cwd=Path(settings.BASE_DIR),
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            certificate = _running(org)
            if certificate is not None and certificate.total_rows >= 5:
                break
            assert process.poll() is None, "the purge ended before it could be killed"
            time.sleep(0.05)
        else:
            pytest.fail("the purge did not start")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    killed = _running(org)
    assert killed.status == CertificateStatus.RUNNING
    assert 5 <= killed.total_rows < 60
    assert organization_counts(org)["practices.Practice"] == 3  # far from done

    settings.GROVE_RETENTION_BATCH_SIZE = 2
    certificate = purge.run_organization_purge(
        organization=org,
        kind=PurgeKind.ORGANIZATION_DATA,
        rule="contract_end+30d",
        due_on=datetime.date(2026, 1, 31),
        run_by="test",
    )
    assert certificate.pk == killed.pk
    assert certificate.status == CertificateStatus.COMPLETED
    entries = {(e["model"], e["action"]): e for e in certificate.progress["entries"].values()}
    for model, digest in expected.items():
        assert entries[(model, "deleted")]["acc"] == digest, model
    assert entries[("practices.Reaction", "deleted")]["rows"] == 9
    assert organization_counts(org)["practices.Practice"] == 0
    assert verify_certificate(certificate)
    # Outside a transaction, the touched tables were vacuumed.
    assert "practices_reaction" in certificate.vacuum["vacuumed"] + certificate.vacuum["skipped"]
