"""The commit as a task (the page's way), invitations of new people, an interrupted import."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from grove.accounts.models import Invitation, User
from grove.onboarding import importing
from grove.onboarding.actions import import_enqueue, import_preview
from grove.onboarding.importing import ImportOptions
from grove.onboarding.models import ImportStatus, UserImport
from grove.onboarding.tasks import run_user_import
from grove.tenancy.context import tenant_context, unscoped

HEADER = "email,first name,last name,country,job type\n"
LIST = HEADER + "dana@a.example,Dana,Durand,FR,\neve@a.example,Eve,Evans,DE,\n"


@pytest.fixture(autouse=True)
def immediate(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


def previewed(org, actor=None):
    return import_preview(
        actor=actor,
        organization=org,
        uploaded_file=SimpleUploadedFile("l.csv", LIST.encode()),
        source="web",
        options=ImportOptions(),
    )


def reload(user_import):
    with unscoped("test"):
        return UserImport.objects.get(pk=user_import.pk)


def test_the_task_commits_and_new_people_are_invited(
    org_a, bob, django_capture_on_commit_callbacks
):
    user_import = previewed(org_a, bob)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        import_enqueue(actor=bob, user_import=user_import, valid_only=False, full_sync=False)
    assert callbacks  # the task was enqueued after the commit, with ids only
    done = reload(user_import)
    assert done.status == ImportStatus.DONE
    assert done.created_count == 2
    with tenant_context(org_a):
        people = User.objects.filter(email__in=["dana@a.example", "eve@a.example"])
        invitations = Invitation.objects.filter(user__in=people)
        assert invitations.count() == 2
        assert all(i.created_by_id == bob.pk for i in invitations)
    assert sorted(m.to[0] for m in mail.outbox) == ["dana@a.example", "eve@a.example"]


def test_an_interrupted_import_fails_cleanly_and_can_be_run_again(org_a, monkeypatch):
    user_import = previewed(org_a)
    original = importing._write_batch

    def crash(**kwargs):
        raise RuntimeError("disk full (a test)")

    monkeypatch.setattr(importing, "_write_batch", crash)
    with pytest.raises(RuntimeError):
        run_user_import.call(str(user_import.pk))
    failed = reload(user_import)
    assert failed.status == ImportStatus.FAILED
    assert failed.failure_code == "RuntimeError"
    with tenant_context(org_a):
        assert not User.objects.filter(email="dana@a.example").exists()

    monkeypatch.setattr(importing, "_write_batch", original)
    assert run_user_import.call(str(failed.pk)) == ImportStatus.DONE
    with tenant_context(org_a):
        assert User.objects.filter(email__in=["dana@a.example", "eve@a.example"]).count() == 2


def test_a_task_run_twice_commits_once(org_a):
    user_import = previewed(org_a)
    assert run_user_import.call(str(user_import.pk)) == ImportStatus.DONE
    assert run_user_import.call(str(user_import.pk)) == ImportStatus.DONE
    assert reload(user_import).created_count == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rows_done_moves_while_the_commit_runs(org_a, monkeypatch):
    monkeypatch.setattr(importing, "BATCH_SIZE", 2)
    content = HEADER + "".join(f"p{i}@a.example,P,Q,FR,\n" for i in range(5))
    user_import = import_preview(
        actor=None,
        organization=org_a,
        uploaded_file=SimpleUploadedFile("l.csv", content.encode()),
        source="cli",
        options=ImportOptions(),
    )
    seen = []

    def look(rows):  # the import's transaction is open: what other connections see
        with tenant_context(org_a):
            seen.append(
                UserImport.objects.values_list("rows_done", flat=True).get(pk=user_import.pk)
            )

    from grove.onboarding.actions import import_commit

    import_commit(
        actor=None, user_import=user_import, valid_only=False, full_sync=False, progress=look
    )
    assert seen == [2, 4, 5]
    assert reload(user_import).rows_done == 5


def test_rows_done_is_written_at_the_end_inside_a_callers_transaction(org_a):
    from grove.onboarding.actions import import_commit

    user_import = previewed(org_a)  # the test runs in a transaction, as a web request does
    seen = []

    def look(rows):
        with tenant_context(org_a):
            seen.append(
                UserImport.objects.values_list("rows_done", flat=True).get(pk=user_import.pk)
            )

    import_commit(
        actor=None, user_import=user_import, valid_only=False, full_sync=False, progress=look
    )
    assert seen == [0]
    assert reload(user_import).rows_done == 2


def test_a_second_enqueue_of_the_same_list_is_refused(org_a, bob):
    user_import = previewed(org_a, bob)
    stale_copy = reload(user_import)  # what a second, concurrent submit had read
    import_enqueue(actor=bob, user_import=user_import, valid_only=False, full_sync=False)
    with pytest.raises(ValueError):
        import_enqueue(actor=bob, user_import=stale_copy, valid_only=False, full_sync=False)
    assert reload(user_import).status == ImportStatus.QUEUED
