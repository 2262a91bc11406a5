from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from grove.accounts.models import User
from grove.onboarding.models import ImportStatus, UserImport
from grove.tenancy.context import tenant_context

HEADER = "email;prénom;nom;pays;métier;téléphone\n"


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


def write(tmp_path, text, name="list.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_users", *args, stdout=out, stderr=err)
    return out.getvalue()


def emails(org):
    with tenant_context(org):
        return set(User.objects.values_list("email", flat=True))


def test_it_imports_and_prints_the_summary(org_a, tmp_path):
    path = write(tmp_path, HEADER + "dana@a.example;Dana;Durand;France;;+33 6 12 34 56 78\n")
    output = run(path, "--org", "org-a")
    assert "Preview of 1 row(s): 1 to create" in output
    assert "Columns dropped (their values are ignored, never stored): téléphone" in output
    assert "Imported: 1 created (invited)" in output
    assert "+33" not in output
    assert "dana@a.example" in emails(org_a)


def test_rejected_rows_exit_non_zero_and_import_nothing(org_a, tmp_path):
    path = write(tmp_path, HEADER + "dana@a.example;Dana;Durand;FR;;\nwrong;Eve;Evans;Atlantis;;\n")
    out = StringIO()
    with pytest.raises(CommandError, match=r"1 row\(s\) rejected: nothing imported"):
        call_command("import_users", path, "--org", "org-a", stdout=out, stderr=StringIO())
    assert "line 3, email: This is not a valid email address." in out.getvalue()
    assert "line 3, country: Unknown country" in out.getvalue()
    assert "wrong" not in out.getvalue()
    assert "Atlantis" not in out.getvalue()
    assert "dana@a.example" not in emails(org_a)
    with tenant_context(org_a):
        assert UserImport.objects.get().status == ImportStatus.REJECTED


def test_valid_only_imports_the_valid_rows_and_exits_zero(org_a, tmp_path):
    path = write(tmp_path, HEADER + "dana@a.example;Dana;Durand;FR;;\nwrong;Eve;Evans;FR;;\n")
    output = run(path, "--org", "org-a", "--valid-only")
    assert "1 created (invited)" in output
    assert "1 skipped with errors" in output
    assert "dana@a.example" in emails(org_a)


def test_dry_run_writes_nothing(org_a, tmp_path):
    path = write(tmp_path, HEADER + "dana@a.example;Dana;Durand;FR;;\n")
    output = run(path, "--org", "org-a", "--dry-run")
    assert "Dry run: nothing imported." in output
    assert emails(org_a) == set()
    with tenant_context(org_a):
        assert UserImport.objects.get().status == ImportStatus.DISCARDED
    bad = write(tmp_path, HEADER + "wrong;Dana;Durand;FR;;\n", "bad.csv")
    with pytest.raises(CommandError, match="would be rejected"):
        run(bad, "--org", "org-a", "--dry-run")


def test_create_job_types_and_full_sync(org_a, alice, bob, tmp_path):
    path = write(tmp_path, HEADER + "dana@a.example;Dana;Durand;FR;Astronaut;\n")
    with pytest.raises(CommandError):
        run(path, "--org", "org-a")
    output = run(path, "--org", "org-a", "--create-job-types", "--full-sync")
    assert "Full sync: 1 member(s) absent from the list would be deactivated." in output
    assert "1 deactivated" in output
    with tenant_context(org_a):
        assert not User.objects.get(email="alice@a.example").is_active
        assert User.objects.get(email="bob@a.example").is_active


def test_refusals_are_clear(org_a, tmp_path):
    with pytest.raises(CommandError, match="No organization"):
        run(write(tmp_path, HEADER), "--org", "nope")
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "missing.csv"), "--org", "org-a")
    with pytest.raises(CommandError, match="File refused: Required column"):
        run(write(tmp_path, "email;pays\n"), "--org", "org-a")
