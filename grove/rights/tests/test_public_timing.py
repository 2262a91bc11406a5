"""The public pages do the same visible work for a known and an unknown address: the mails a
known one causes (the code, "already open", the lock's refusal) are made and sent by a task,
never within the web request, and an unknown one (the decoy) enqueues the same task for an id
that is no request. Run with the database backend: what a real deployment does."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from grove.rights.models import Channel, DataSubjectRequest, RequestState
from grove.rights.tasks import send_public_mail
from grove.tenancy.context import unscoped

from .test_views_fixtures import *  # noqa: F403 -- the shared fixtures
from .test_views_fixtures import code_in, rows

pytestmark = pytest.mark.django_db

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def database_tasks(settings):
    settings.TASKS = DATABASE_BACKEND


def _queued() -> list[tuple[str, str]]:
    """The public mail tasks waiting for a worker, oldest first: (request id, kind)."""
    with unscoped("test: read the task queue"):
        found = DBTaskResult.objects.ready().filter(task_path=send_public_mail.module_path)
        return [tuple(row.args_kwargs["args"]) for row in found.order_by("enqueued_at")]


def _work(capture) -> list:
    """Run the queued tasks as the worker does (oldest first, each mail sent when its task's
    transaction commits); their return values."""
    with capture(execute=True), unscoped("test: run the task queue"):
        found = list(DBTaskResult.objects.ready().order_by("enqueued_at"))
        returned = []
        for row in found:
            task_result = row.task_result
            value = row.task.call(*task_result.args, **task_result.kwargs)
            row.set_successful(value)
            returned.append(value)
    return returned


def _clear_queue() -> None:
    with unscoped("test: empty the task queue"):
        DBTaskResult.objects.all().delete()


def _is_request(request_id: str) -> bool:
    with unscoped("test: whether an id is a request"):
        return DataSubjectRequest.objects.filter(pk=request_id).exists()


def _file(client, email, capture, request_type="access"):
    with capture(execute=True):
        return client.post(reverse("rights:public"), {"email": email, "request_type": request_type})


def _post(client, name, capture, data=None):
    with capture(execute=True):
        return client.post(reverse(name), data or {})


def test_a_known_address_sends_no_mail_within_the_request_and_an_unknown_one_enqueues_the_same(
    client, alice, django_capture_on_commit_callbacks
):
    known = _file(client, "alice@a.example", django_capture_on_commit_callbacks)

    assert mail.outbox == []
    [dsr] = rows(DataSubjectRequest)
    assert _queued() == [(str(dsr.pk), "code")]  # ids only: no code, no address
    assert rows(DataSubjectRequest)[0].verification_code_hash == ""  # made by the task

    other = client.__class__()
    unknown = _file(other, "nobody@nowhere.example", django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert len(_queued()) == 2  # one each
    decoy_id, kind = _queued()[1]
    assert kind == "code" and not _is_request(decoy_id)
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(rows(DataSubjectRequest)) == 1

    # The worker: the known address gets its code (valid, verifies), the decoy's task finds
    # nothing to do.
    assert _work(django_capture_on_commit_callbacks) == [True, False]
    [message] = mail.outbox
    assert message.to == ["alice@a.example"]
    assert str(decoy_id) not in message.body
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("rights:public_verify"), {"code": code_in(message)})
    assert done.status_code == 200
    assert rows(DataSubjectRequest)[0].state == RequestState.IDENTITY_VERIFIED


def test_a_new_code_is_a_task_for_a_known_address_and_for_a_decoy(
    client, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _file(client, "alice@a.example", capture)
    decoy = client.__class__()
    _file(decoy, "nobody@nowhere.example", capture)
    _clear_queue()

    known = _post(client, "rights:public_resend", capture)
    [(request_id, kind)] = _queued()
    assert (kind, _is_request(request_id)) == ("code", True)
    unknown = _post(decoy, "rights:public_resend", capture)

    assert mail.outbox == []
    assert [kind for _id, kind in _queued()] == ["code", "code"]
    assert not _is_request(_queued()[1][0])
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert _work(capture) == [True, False]
    assert len(mail.outbox) == 1


def test_the_lock_after_five_wrong_codes_is_mailed_by_a_task_and_the_decoy_enqueues_it_too(
    client, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _file(client, "alice@a.example", capture)
    decoy = client.__class__()
    _file(decoy, "nobody@nowhere.example", capture)
    assert _work(capture) == [True, False]
    code = code_in(mail.outbox[0])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    mail.outbox.clear()

    for attempt in range(5):
        known = _post(client, "rights:public_verify", capture, {"code": wrong})
        unknown = _post(decoy, "rights:public_verify", capture, {"code": wrong})
        assert known.status_code == unknown.status_code == 400
        assert len(_queued()) == (0 if attempt < 4 else 2), attempt
        assert mail.outbox == []

    assert [kind for _id, kind in _queued()] == ["refused", "refused"]
    assert rows(DataSubjectRequest)[0].state == RequestState.REFUSED
    assert _work(capture) == [True, False]
    [message] = mail.outbox
    assert message.to == ["alice@a.example"]
    assert "supervisory authority" in message.body


def test_an_open_request_filed_again_is_noticed_by_a_task(
    client, alice, make_request, django_capture_on_commit_callbacks
):
    open_one = make_request(alice, "access", state=RequestState.IN_PROGRESS)

    _file(client, "alice@a.example", django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert _queued() == [(str(open_one.pk), "merged")]
    assert _work(django_capture_on_commit_callbacks) == [True]
    [message] = mail.outbox
    assert message.to == ["alice@a.example"]


def test_the_task_sends_nothing_for_a_request_no_longer_waiting_for_a_code(
    alice, make_request, django_capture_on_commit_callbacks
):
    verified = make_request(alice, "access", state=RequestState.IDENTITY_VERIFIED)
    waiting = make_request(alice, "erasure", state=RequestState.RECEIVED, channel=Channel.WEB_FORM)

    with django_capture_on_commit_callbacks(execute=True):
        assert send_public_mail.call(str(verified.pk), "code") is False
        assert send_public_mail.call(str(waiting.pk), "refused") is False
        assert send_public_mail.call(str(uuid.uuid4()), "code") is False
        assert send_public_mail.call("not-an-id", "code") is False
    assert mail.outbox == []
    with unscoped("test: read back"):
        assert DataSubjectRequest.objects.get(pk=verified.pk).verification_code_hash == ""

    with pytest.raises(ValueError):
        send_public_mail.call(str(waiting.pk), "filed")
