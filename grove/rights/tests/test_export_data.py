"""personal_data(): everything about one person, found through the data map, nothing of others."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.core.testing.factories import (
    CommentFactory,
    JobTypeFactory,
    PracticeFactory,
    ReactionFactory,
)
from grove.notifications.models import Notification
from grove.practices.models import Attachment
from grove.privacy.datamap import Category, declared_map, mapped_models
from grove.rights.export_data import ANOTHER_PERSON, SCHEMA, SCHEMA_VERSION, personal_data
from grove.rights.models import DataSubjectRequest
from grove.tenancy.context import unscoped


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def dataset(document: dict, label: str) -> dict:
    (found,) = [d for d in document["datasets"] if d["model"] == label]
    return found


def all_text(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False)


def test_the_document_has_its_schema_and_version_and_the_profile_first(alice):
    document = personal_data(alice)
    assert document["schema"] == SCHEMA and document["schema_version"] == SCHEMA_VERSION
    assert document["subject"] == {
        "id": str(alice.pk),
        "organization_id": str(alice.organization_id),
    }
    profile = document["datasets"][0]
    assert profile["model"] == "accounts.User"
    (row,) = profile["rows"]
    assert (row["email"], row["first_name"], row["last_name"]) == (
        alice.email,
        alice.first_name,
        alice.last_name,
    )
    assert row["country"] == "FR" and row["_linked_by"] == ["id"]


def test_every_model_linking_to_a_user_in_the_data_map_is_a_data_set(alice):
    """No hand-kept list: each model whose data map marks a foreign key to the user (or a user
    id column) as a person reference contributes a data set, even when empty."""
    user_model = get_user_model()
    expected = {"accounts.User"}
    for model in mapped_models():
        declared = declared_map(model) or {}
        for f in model._meta.local_concrete_fields:
            category = declared.get(f.name, (None,))[0]
            if category != Category.PERSON_REFERENCE:
                continue
            if (f.is_relation and f.related_model is user_model) or (
                f.get_internal_type() == "UUIDField" and not f.primary_key
            ):
                expected.add(model._meta.label)
    labels = {d["model"] for d in personal_data(alice)["datasets"]}
    assert expected <= labels
    # The ones the issue names are among them.
    for label in (
        "practices.Practice",
        "practices.Comment",
        "practices.Reaction",
        "notifications.Notification",
        "accounts.Invitation",
        "rights.DataSubjectRequest",
        "audit.AuditEvent",
    ):
        assert label in labels


def test_credentials_are_withheld_and_listed(alice):
    document = personal_data(alice)
    profile = dataset(document, "accounts.User")
    assert "password" not in profile["rows"][0]
    assert {"name": "password", "reason": "credential"} in profile["withheld_fields"]
    assert alice.password not in all_text(document)


def test_practices_comments_reactions_and_the_job_type_by_name(org_a, alice, bob):
    job = JobTypeFactory(organization=org_a, name="Store manager")
    with unscoped("test"):
        get_user_model().objects.filter(pk=alice.pk).update(job_type=job)
    practice = PracticeFactory(organization=org_a, author=alice, title="Alice's practice")
    other = PracticeFactory(organization=org_a, author=bob, title="Bob's practice")
    CommentFactory(practice=other, author=alice, body='=HYPERLINK("x")')
    CommentFactory(practice=practice, author=bob, body="Bob's comment")
    ReactionFactory(practice=other, user=alice, kind="adopted")
    ReactionFactory(practice=other, user=alice, kind="bookmark")
    ReactionFactory(practice=practice, user=bob, kind="useful")

    document = personal_data(alice)
    assert dataset(document, "accounts.User")["rows"][0]["job_type"] == "Store manager"
    practices = dataset(document, "practices.Practice")["rows"]
    assert [p["title"] for p in practices] == ["Alice's practice"]
    comments = dataset(document, "practices.Comment")["rows"]
    assert [c["body"] for c in comments] == ['=HYPERLINK("x")']
    reactions = dataset(document, "practices.Reaction")["rows"]
    assert sorted(r["kind"] for r in reactions) == ["adopted", "bookmark"]
    assert all(r["user"] == str(alice.pk) for r in reactions)
    text = all_text(document)
    assert "Bob's comment" not in text and "Bob's practice" not in text
    assert bob.email not in text and str(bob.pk) not in text


def test_other_people_are_never_named_by_id(org_a, alice, bob):
    practice = PracticeFactory(organization=org_a, author=alice)
    with unscoped("test"):
        Notification.objects.create(
            organization=org_a, recipient=alice, kind="comment", practice=practice, actor=bob
        )
    (row,) = dataset(personal_data(alice), "notifications.Notification")["rows"]
    assert row["recipient"] == str(alice.pk) and row["actor"] == ANOTHER_PERSON


def test_access_log_events_by_and_about_the_person_including_staff_accesses(org_a, alice, bob, csm):
    with unscoped("test"):
        by_alice = record_event(action=AuditAction.LOGIN, actor=alice, organization=org_a)
        about_alice = record_event(
            action=AuditAction.VIEW,
            actor=csm,
            organization=org_a,
            object_type="accounts.user",
            object_ids=[alice.pk],
            subject_user=alice,
        )
        record_event(action=AuditAction.LOGIN, actor=bob, organization=org_a)
    rows = dataset(personal_data(alice), "audit.AuditEvent")["rows"]
    by_id = {row["public_id"]: row for row in rows}
    assert set(by_id) == {str(by_alice.public_id), str(about_alice.public_id)}
    staff = by_id[str(about_alice.public_id)]
    assert staff["actor_role"] == "csm" and staff["actor_id"] == ANOTHER_PERSON
    assert staff["subject_user_id"] == str(alice.pk) and staff["_linked_by"] == ["subject_user_id"]


def test_a_request_the_person_handled_does_not_show_the_other_persons_values(org_a, alice, csm):
    with unscoped("test"):
        DataSubjectRequest.objects.create(
            organization=org_a,
            subject=alice,
            request_type="rectification",
            channel="mail",
            due_at="2030-01-01T00:00:00Z",
            handler=csm,
            rectification={"last_name": {"before": "Adams", "after": "Smith-Adams"}},
        )
    own = dataset(personal_data(alice), "rights.DataSubjectRequest")["rows"]
    assert own[0]["rectification"]["last_name"]["after"] == "Smith-Adams"
    handled = dataset(personal_data(csm), "rights.DataSubjectRequest")["rows"]
    (row,) = handled
    assert row["_linked_by"] == ["handler"] and row["rectification"] is None
    assert "rectification" in row["_withheld"] and row["subject"] == ANOTHER_PERSON
    assert "Smith-Adams" not in all_text(personal_data(csm))


def test_the_attachments_of_their_practices_are_listed_as_media(org_a, alice, bob):
    mine = PracticeFactory(organization=org_a, author=alice)
    theirs = PracticeFactory(organization=org_a, author=bob)
    names = []
    with unscoped("test"):
        for practice in (mine, theirs):
            name = default_storage.save(f"practices/{org_a.pk}/photo.jpg", ContentFile(b"jpeg"))
            names.append(name)
            Attachment.objects.create(
                organization=org_a,
                practice=practice,
                kind="image",
                file=name,
                content_type="image/jpeg",
                size=4,
            )
    document = personal_data(alice)
    attachments = dataset(document, "practices.Attachment")
    assert attachments["attached_to"] == "practices.Practice"
    (row,) = attachments["rows"]
    assert row["practice"] == str(mine.pk) and row["file"].startswith("media/")
    assert [m["path"] for m in document["media"]] == [row["file"]]
    assert document["_media_storage"] == {row["file"]: names[0]}


@pytest.mark.django_db
def test_every_link_the_export_follows_is_the_first_column_of_an_index():
    """The export looks each person up by these columns alone: each must lead an index, or a
    large table would be read whole (bench/rights.py checks the plans at scale)."""
    from django.db import connection

    from grove.rights.export_data import person_links

    missing = []
    with connection.cursor() as cursor:
        for model, links in person_links().items():
            table = model._meta.db_table
            constraints = connection.introspection.get_constraints(cursor, table)
            leading = {
                c["columns"][0]
                for c in constraints.values()
                if (c["index"] or c["unique"] or c["primary_key"]) and c["columns"]
            }
            missing += [f"{table}.{link.column}" for link in links if link.column not in leading]
    assert missing == []


def test_every_foreign_key_to_a_user_is_classified_as_a_person_link():
    """The export follows person links only: a foreign key to the user classified otherwise
    would leave its rows out of every export without a word."""
    user_model = get_user_model()
    person_link = Category.PERSON_REFERENCE
    others = []
    for model in mapped_models():
        declared = declared_map(model) or {}
        for f in model._meta.local_concrete_fields:
            category = declared.get(f.name, (None,))[0]
            if f.is_relation and f.related_model is user_model and category != person_link:
                others.append(f"{model._meta.label}.{f.name}")
    assert others == []
