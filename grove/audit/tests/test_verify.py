"""manage.py verify_access_log: every kind of tampering is found and named.

Each test writes a clean log, tampers with it as an attacker holding the database would
(tamper.py: triggers off, superuser on PostgreSQL), then runs the command: it must exit non-zero
(CommandError) naming the chain and the sequence or event. An untouched log passes.
"""

import json
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import models
from django.utils import timezone

from grove.audit.anchors import write_anchors
from grove.audit.events import record_event
from grove.audit.hashing import GENESIS_HASH, OPERATOR_CHAIN
from grove.audit.models import AuditAction, AuditAnchor, AuditChainHead, AuditEvent
from grove.audit.verify import verify_chains
from grove.tenancy.context import unscoped

from . import tamper


@pytest.fixture
def log(org_a, org_b, alice, charlie):
    """Six events in A's chain, two in B's, two in the operator chain."""
    for n in range(6):
        record_event(action=AuditAction.VIEW, actor=alice, organization=org_a, object_ids=[n])
        if n % 3 == 0:
            record_event(action=AuditAction.LIST, actor=charlie, organization=org_b)
            record_event(action=AuditAction.LOGIN_FAILED, subject_ref=f"ref{n}")
    return {"a": org_a.pk, "b": org_b.pk}


def verify(*args) -> str:
    out, err = StringIO(), StringIO()
    call_command("verify_access_log", *args, stdout=out, stderr=err)
    assert err.getvalue() == ""
    return out.getvalue()


def refused(*args) -> str:
    err = StringIO()
    with pytest.raises(CommandError, match="access log tampered with"):
        call_command("verify_access_log", *args, stdout=StringIO(), stderr=err)
    return err.getvalue()


def event(chain_key, sequence: int) -> AuditEvent:
    with unscoped("test: read an event back"):
        return tamper.events(chain_key).get(sequence=sequence)


def test_an_untouched_log_passes(log):
    out = verify("-v", "2")
    assert "Access log verified: 10 events in 3 chain(s), no tampering found." in out
    assert f"chain org-a ({log['a']}): 6 events, ok" in out
    assert f"chain operator ({OPERATOR_CHAIN}): 2 events, ok" in out


def test_it_finds_an_edited_event(log):
    with tamper.tampering():
        tamper.edit(log["a"], 3, action=AuditAction.LOGIN)
    edited = event(log["a"], 3)
    err = refused()
    assert f"chain org-a ({log['a']}): sequence 3 (event {edited.public_id}): edited" in err
    assert err.count("\n") == 1  # the hashes still link: only the event itself is named
    assert "org-b" not in err


@pytest.mark.parametrize(
    "change",
    [
        {"details": {"n": 1}},
        {"object_ids": ["someone-else"]},
        {"actor_id": uuid.UUID(int=7)},
        {"occurred_at": timezone.now()},
        {"ip_prefix": "198.51.100.0/24"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_it_finds_an_edit_of_any_field(log, change):
    with tamper.tampering():
        tamper.edit(log["a"], 2, **change)
    assert "sequence 2" in refused()


def test_it_finds_an_edited_event_whose_hash_was_recomputed(log):
    with tamper.tampering():
        tamper.edit(log["a"], 3, action=AuditAction.LOGIN)
        forged = event(log["a"], 3)
        tamper.edit(log["a"], 3, hash=tamper.rehash(forged, forged.prev_hash))
    err = refused()
    # The edited event is now self-consistent; the next one no longer links to it.
    assert f"sequence 4 (event {event(log['a'], 4).public_id}): unlinked" in err
    assert "sequence 3" not in err


def test_it_finds_a_deleted_event(log):
    with tamper.tampering():
        tamper.remove(log["a"], 3)
    err = refused()
    assert "sequence 4" in err
    assert "missing: sequence 3 is missing: events deleted" in err
    assert "unlinked" in err


def test_it_finds_deleted_events_at_the_end_of_a_chain(log):
    with tamper.tampering():
        tamper.remove(log["a"], 6)
        tamper.remove(log["a"], 5)
    err = refused()
    assert (
        f"chain org-a ({log['a']}): sequence 4: head: the chain ends at 4 but its head says 6"
        in (err)
    )


def test_it_finds_a_deleted_chain_start(log):
    with tamper.tampering():
        tamper.remove(log["a"], 1)
    assert "sequence 2" in refused() and "sequence 1 is missing" in refused()


def test_it_finds_an_event_inserted_in_the_middle(log, org_a):
    # The attacker makes room at sequence 3 and inserts a well-formed, well-hashed event there.
    with tamper.tampering():
        for sequence in range(6, 2, -1):
            tamper.edit(log["a"], sequence, sequence=sequence + 1)
        forged = AuditEvent(
            public_id=uuid.uuid4(),
            occurred_at=timezone.now(),
            organization=org_a,
            action=AuditAction.VIEW,
            chain_key=log["a"],
            sequence=3,
            prev_hash=event(log["a"], 2).hash,
        )
        forged.hash = tamper.rehash(forged, forged.prev_hash)
        models.Model.save_base(forged, force_insert=True, raw=True)
    err = refused()
    assert f"sequence 4 (event {event(log['a'], 4).public_id}): unlinked" in err
    assert "sequence 6: head: the last event's hash is not the head's" in err
    assert f"sequence 7 (event {event(log['a'], 7).public_id}): head: comes after" in err


def test_it_finds_an_event_inserted_past_the_head(log, org_a):
    with tamper.tampering():
        forged = AuditEvent(
            organization=org_a,
            action=AuditAction.VIEW,
            chain_key=log["a"],
            sequence=7,
            prev_hash=event(log["a"], 6).hash,
            occurred_at=timezone.now(),
        )
        forged.hash = tamper.rehash(forged, forged.prev_hash)
        models.Model.save_base(forged, force_insert=True, raw=True)
    err = refused()
    assert f"sequence 7 (event {forged.public_id}): head: comes after the chain's head" in err


def test_it_finds_an_event_inserted_outside_any_chain(log, org_a):
    with tamper.tampering():
        stray = AuditEvent(organization=org_a, action=AuditAction.VIEW, occurred_at=timezone.now())
        models.Model.save_base(stray, force_insert=True, raw=True)
    err = refused()
    assert f"no chain: event {stray.public_id}: unchained" in err
    assert f"event {stray.public_id}" in refused("--org", "org-a")


def test_it_finds_reordered_events(log):
    with tamper.tampering():
        tamper.edit(log["a"], 3, sequence=1000)
        tamper.edit(log["a"], 4, sequence=3)
        tamper.edit(log["a"], 1000, sequence=4)
    err = refused()
    assert "sequence 3" in err and "sequence 4" in err
    assert "unlinked" in err


def test_it_finds_an_event_moved_to_another_chain(log):
    with tamper.tampering():
        tamper.edit(log["a"], 6, chain_key=log["b"], sequence=3)
    err = refused()
    assert f"chain org-b ({log['b']}): sequence 3" in err  # past B's head
    assert f"chain org-a ({log['a']}): sequence 5: head: the chain ends at 5" in err
    assert "misplaced" in refused("--org", "org-a")


def test_it_finds_a_rewound_head(log):
    with tamper.tampering():
        models.QuerySet(AuditChainHead).filter(chain_key=log["b"]).update(
            last_sequence=1, last_hash=GENESIS_HASH
        )
    err = refused()
    assert f"chain org-b ({log['b']}): sequence 1: head: the last event's hash is not" in err
    assert f"chain org-b ({log['b']}): sequence 2 (event" in err
    assert "comes after the chain's head: inserted" in err


def test_it_finds_a_whole_chain_rewritten_against_the_anchor(log):
    write_anchors()
    record_event(action=AuditAction.VIEW, organization=log["a"])  # 7, after the anchor
    assert "no tampering" in verify()
    # The attacker edits event 2 and recomputes every hash after it, and the head: the chain
    # is consistent with itself from end to end.
    with tamper.tampering():
        tamper.edit(log["a"], 2, action=AuditAction.LOGIN)
        tamper.rewrite_chain(log["a"], from_sequence=2)
    chains = {chain.chain_key: chain for chain in verify_chains().chains}
    assert [p.kind for p in chains[log["a"]].problems] == ["anchor"]
    err = refused()
    assert f"chain org-a ({log['a']}): sequence 6: anchor: disagrees with the anchor of" in err
    assert err.count("\n") == 1
    assert "anchor" in refused("--org", "org-a")


def test_it_finds_a_rewrite_of_chain_and_database_anchors_against_the_stored_file(
    log, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    batch = write_anchors()
    # The attacker rewrites the chain, and the anchors in the database to match.
    with tamper.tampering():
        tamper.edit(log["a"], 1, action=AuditAction.LOGIN)
        tamper.rewrite_chain(log["a"], from_sequence=1)
        models.QuerySet(AuditAnchor).filter(chain_key=log["a"]).update(hash=event(log["a"], 6).hash)
    assert "no tampering" in verify()  # everything inside the database agrees
    err = refused("--stored-anchor", batch.file_name)
    assert f"sequence 6: anchor: disagrees with the stored anchor {batch.file_name}" in err
    # The mailed copy, saved by the security officer, says the same.
    mailed = tmp_path / "mailed.json"
    mailed.write_bytes((tmp_path / batch.file_name).read_bytes())
    assert "disagrees with the anchor file" in refused("--anchor-file", str(mailed))


def test_it_finds_a_chain_cut_short_before_its_anchor(log):
    write_anchors()
    with tamper.tampering():
        tamper.remove(log["b"], 2)
        models.QuerySet(AuditChainHead).filter(chain_key=log["b"]).update(
            last_sequence=1, last_hash=event(log["b"], 1).hash
        )
    err = refused()
    assert f"chain org-b ({log['b']}): sequence 2: anchor: the chain ends at 1, before" in err


def test_org_limits_the_check_to_one_chain(log):
    with tamper.tampering():
        tamper.edit(log["b"], 1, action=AuditAction.LOGIN)
    assert "6 events in 1 chain(s), no tampering found" in verify("--org", "org-a")
    assert "org-b" in refused("--org", "org-b")
    with pytest.raises(CommandError, match="no organization"):
        call_command("verify_access_log", "--org", "nope", stdout=StringIO())


def test_it_reads_a_chain_in_chunks(log):
    report = verify_chains(chunk_size=2)
    assert report.ok and report.checked == 10
    with tamper.tampering():
        tamper.remove(log["a"], 3)  # on a chunk boundary
    problems = verify_chains(chunk_size=2).problem_lines()
    assert any("sequence 4" in line and "missing" in line for line in problems)


def test_the_messages_hold_ids_only(log, alice):
    with tamper.tampering():
        tamper.edit(log["a"], 1, details={"x": 1})
    err = refused()
    for value in (alice.email, alice.first_name, alice.last_name, "Organization A"):
        assert value not in err
    assert json.dumps(str(log["a"]))[1:-1] in err
