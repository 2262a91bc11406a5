"""The erasure ledger: after a restore from an older backup, the erasure is applied again."""

from __future__ import annotations

import json

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction

from grove.accounts.models import User
from grove.audit.models import AuditAction, AuditEvent
from grove.core.testing.factories import ReactionFactory, UserFactory
from grove.practices.models import Reaction
from grove.rights import erasure
from grove.rights.models import ErasureRecord
from grove.tenancy.context import unscoped

from .test_erasure_support import (
    EMAIL,
    FIRST_NAME,
    LAST_NAME,
    make_footprint,
    make_person,
    needles,
    search_blindly,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def erased(org_a, alice, bob, security_officer, django_capture_on_commit_callbacks):
    """A person erased, and the values of their row as an older backup holds them."""
    person = make_person(org_a)
    footprint = make_footprint(org_a, person=person, alice=alice, bob=bob)
    with unscoped("test: the row as the backup holds it"):
        backup = User._base_manager.filter(pk=person.pk).values().get()
    with django_capture_on_commit_callbacks(execute=True):
        erasure.erase_person(actor=security_officer, subject=person)
    return person, backup, footprint


def _restore(backup: dict, footprint) -> None:
    """What a restore from the older backup brings back: the row's old values, a reaction."""
    with unscoped("test: simulating a restore"):
        User._base_manager.filter(pk=backup["id"]).update(
            **{k: v for k, v in backup.items() if k != "id"}
        )
        restored = User._base_manager.get(pk=backup["id"])
        ReactionFactory(practice=footprint.colleague_practice, user=restored, kind="useful")


def _replayed_events():
    with unscoped("test"):
        return list(AuditEvent.objects.filter(action=AuditAction.ERASURE_REPLAYED))


def test_a_restored_person_is_erased_again(erased):
    person, backup, footprint = erased
    _restore(backup, footprint)
    with unscoped("test"):
        assert User._base_manager.get(pk=person.pk).email == EMAIL
    assert erasure.replay_erasures() == 1
    with unscoped("test"):
        user = User._base_manager.get(pk=person.pk)
        assert user.is_erased and user.email.endswith("@erased.invalid")
        assert (user.first_name, user.last_name) == ("", "")
        assert not Reaction.objects.filter(user=person).exists()
    assert search_blindly(needles()) == []
    (event,) = _replayed_events()
    assert event.object_ids == [str(person.pk)] and event.actor_id is None
    with unscoped("test"):
        record = ErasureRecord.objects.get()
    assert event.details["erasure_record"] == str(record.pk)
    assert event.details["counts"]["deleted"]["practices.Reaction"] == 1


def test_replaying_twice_does_nothing_more(erased):
    person, backup, footprint = erased
    _restore(backup, footprint)
    assert erasure.replay_erasures() == 1
    assert erasure.replay_erasures() == 0
    assert len(_replayed_events()) == 1


def test_nothing_is_replayed_without_a_restore(erased):
    assert erasure.replay_erasures() == 0
    assert _replayed_events() == []


def test_a_new_account_with_the_same_email_is_not_erased(org_a, erased):
    # Invited again after the erasure: a new account, a new id. Not the restored one.
    again = UserFactory(
        email=EMAIL, first_name=FIRST_NAME, last_name=LAST_NAME, organization=org_a, password="!"
    )
    assert erasure.replay_erasures() == 0
    with unscoped("test"):
        assert User._base_manager.get(pk=again.pk).email == EMAIL


def test_a_restored_last_manager_is_erased_all_the_same(org_a, alice, security_officer):
    from grove.accounts.models import OrgRole

    manager = make_person(org_a, role=OrgRole.MANAGER)
    with unscoped("test"):
        backup = User._base_manager.filter(pk=manager.pk).values().get()
    erasure.erase_person(actor=security_officer, subject=manager, successor_manager=alice)
    with unscoped("test: a restore from before the successor's promotion"):
        User._base_manager.filter(pk=backup["id"]).update(
            **{k: v for k, v in backup.items() if k != "id"}
        )
        User._base_manager.filter(pk=alice.pk).update(org_role=OrgRole.MEMBER)
    assert erasure.replay_erasures() == 1
    (event,) = _replayed_events()
    assert event.details["left_without_manager"] is True


def test_the_command_replays_and_says_how_many(erased, capsys):
    person, backup, footprint = erased
    _restore(backup, footprint)
    call_command("dsr", "replay_erasures")
    assert "1 erasure(s) re-applied." in capsys.readouterr().out
    call_command("dsr", "replay_erasures")
    assert "0 erasure(s) re-applied." in capsys.readouterr().out


def test_the_ledger_is_copied_to_storage_with_nothing_readable(erased):
    person, _backup, _footprint = erased
    with unscoped("test"):
        record = ErasureRecord.objects.get()
    name = erasure.ledger_copy_name(record.organization_id, record.pk)
    assert name == f"erasure-ledger/{record.organization_id}/{record.pk}.json"
    with default_storage.open(name, "rb") as stored:
        copy = json.loads(stored.read())
    assert copy == {
        "id": str(record.pk),
        "organization_id": str(record.organization_id),
        "email_hash": record.email_hash,
        "user_id": str(person.pk),
        "erased_at": record.erased_at.isoformat(),
    }
    text = json.dumps(copy).lower()
    assert all(needle not in text for needle in needles())


def test_a_restore_older_than_the_erasure_gets_its_ledger_back_from_storage(erased):
    person, backup, footprint = erased
    # The restored database predates the erasure: the ledger's row is gone too.
    with unscoped("test: simulating a restore"):
        ErasureRecord.objects.all().delete()
    _restore(backup, footprint)
    assert erasure.replay_erasures() == 1
    with unscoped("test"):
        assert ErasureRecord.objects.get().user_id == person.pk
        assert User._base_manager.get(pk=person.pk).is_erased
    assert search_blindly(needles()) == []
    assert erasure.replay_erasures() == 0


def test_an_erasure_rolled_back_leaves_no_ledger_copy(
    org_a, bob, security_officer, django_capture_on_commit_callbacks
):
    person = make_person(org_a)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        erasure.erase_person(actor=security_officer, subject=person)
        raise RuntimeError("something after the erasure failed")
    assert not default_storage.exists(erasure.LEDGER_DIRECTORY)
    with unscoped("test"):
        assert not User._base_manager.get(pk=person.pk).is_erased
