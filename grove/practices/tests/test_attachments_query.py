"""attachment_for_member: the attachment of a practice the member may open, else one Http404."""

from __future__ import annotations

import uuid

import pytest
from django.http import Http404

from grove.core.testing.factories import PracticeFactory
from grove.practices.attachments import attachment_add, attachment_for_member, prepare_upload
from grove.tenancy.context import tenant_context

from .test_attachments_samples import jpeg, upload


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def add(actor, practice):
    with tenant_context(actor.organization_id):
        return attachment_add(
            actor=actor, practice=practice, prepared=prepare_upload(upload(jpeg()))
        )


@pytest.fixture
def photo(alice):
    return add(alice, PracticeFactory(organization=alice.organization, author=alice))


def test_a_member_gets_an_attachment_of_a_published_practice(bob, photo):
    with tenant_context(bob.organization_id):
        found = attachment_for_member(bob, str(photo.pk))

    assert found == photo
    assert found.practice.pk == photo.practice_id


@pytest.mark.parametrize("forged", [uuid.uuid4(), "not-a-uuid", "", None, 12])
def test_a_forged_id_is_404(alice, photo, forged):
    with pytest.raises(Http404), tenant_context(alice.organization_id):
        attachment_for_member(alice, forged)


def test_another_organization_gets_404_whatever_its_scope(charlie, photo):
    with pytest.raises(Http404), tenant_context(charlie.organization_id):
        attachment_for_member(charlie, photo.pk)
    with pytest.raises(Http404), tenant_context(photo.organization_id):
        attachment_for_member(charlie, photo.pk)  # even in A's scope, by mistake


def test_a_draft_is_seen_by_its_author_only(alice, bob):
    draft = add(
        alice, PracticeFactory(organization=alice.organization, author=alice, status="draft")
    )

    with tenant_context(alice.organization_id):
        assert attachment_for_member(alice, draft.pk) == draft
        with pytest.raises(Http404):
            attachment_for_member(bob, draft.pk)
