"""The managers' pages: moderation queue, curation buttons, topics, job types, the setting."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from grove.audit.models import AuditAction
from grove.core.testing.factories import JobTypeFactory, PracticeFactory, TopicFactory
from grove.practices.models import Topic
from grove.tenancy.models import JobType, Organization

from .view_helpers import *  # noqa: F403 -- the shared fixtures
from .view_helpers import fresh, rows


def curate(practice, operation: str) -> str:
    return reverse("practices:curate", args=[practice.pk, operation])


@pytest.fixture
def pending(alice, topic):
    return PracticeFactory(
        organization=alice.organization,
        author=alice,
        topic=topic,
        title="Waiting one",
        status="pending",
    )


def test_the_moderation_queue_lists_pending_practices(client, bob, pending, practice, events):
    client.force_login(bob)

    response = client.get(reverse("practices:moderation"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Waiting one" in page
    assert "Two queues" not in page
    assert curate(pending, "validate") in page
    assert [e.actor_id for e in events(AuditAction.LIST)] == [bob.pk]


def test_a_manager_validates_from_the_queue_and_returns_to_it(client, bob, pending):
    client.force_login(bob)

    response = client.post(curate(pending, "validate"), {"next": reverse("practices:moderation")})

    assert response.status_code == 302
    assert response["Location"] == reverse("practices:moderation")
    assert fresh(pending).status == "published"


def test_next_never_leaves_the_site(client, bob, pending):
    client.force_login(bob)

    response = client.post(curate(pending, "validate"), {"next": "https://evil.example/"})

    assert response["Location"] == reverse("practices:detail", args=[pending.pk])


def test_a_manager_rejects_with_a_reason(client, bob, pending):
    client.force_login(bob)

    response = client.post(curate(pending, "reject"), {"reason": "Add a photo please."})

    assert response.status_code == 302
    assert fresh(pending).status == "draft"


def test_a_rejection_needs_a_reason(client, bob, pending):
    client.force_login(bob)

    response = client.post(curate(pending, "reject"), {"reason": ""})

    assert response.status_code == 400
    assert fresh(pending).status == "pending"


def test_a_manager_boosts_until_a_date_then_removes_the_boost(client, bob, practice):
    client.force_login(bob)
    day = (timezone.now() + datetime.timedelta(days=7)).date()

    boosted = client.post(curate(practice, "boost"), {"until": day.isoformat()})
    stored = fresh(practice)
    page = client.get(reverse("practices:detail", args=[practice.pk])).content.decode()
    unboosted = client.post(curate(practice, "unboost"))

    assert boosted.status_code == 302
    assert stored.boosted_until.date() == day
    assert "Remove the boost" in page
    assert unboosted.status_code == 302
    assert fresh(practice).boosted_until is None


@pytest.mark.parametrize("until", ["", "not a date", "2001-01-01", "2999-01-01"])
def test_a_boost_date_in_the_past_or_too_far_is_refused(client, bob, practice, until):
    client.force_login(bob)

    response = client.post(curate(practice, "boost"), {"until": until})

    assert response.status_code == 400
    assert fresh(practice).boosted_until is None


def test_a_manager_highlights_archives_and_unarchives(client, bob, practice):
    client.force_login(bob)

    client.post(curate(practice, "highlight"))
    assert fresh(practice).highlighted_at is not None
    client.post(curate(practice, "unhighlight"))
    assert fresh(practice).highlighted_at is None
    client.post(curate(practice, "archive"))
    assert fresh(practice).status == "archived"
    page = client.get(reverse("practices:detail", args=[practice.pk])).content.decode()
    assert "Put back in the feed" in page
    client.post(curate(practice, "unarchive"))
    assert fresh(practice).status == "published"


def test_an_unknown_curation_is_404(client, bob, practice):
    client.force_login(bob)

    assert client.post(curate(practice, "delete-everything")).status_code == 404


def test_a_manager_sees_the_curation_panel_a_member_does_not(client, bob, dave, practice):
    client.force_login(bob)
    managers = client.get(reverse("practices:detail", args=[practice.pk])).content.decode()
    client.force_login(dave)
    members = client.get(reverse("practices:detail", args=[practice.pk])).content.decode()

    assert "Curation" in managers and curate(practice, "highlight") in managers
    assert "Curation" not in members and curate(practice, "highlight") not in members


# --- Topics and job types ----------------------------------------------------------------------


def test_a_manager_lists_adds_renames_and_deletes_topics(client, bob, topic):
    client.force_login(bob)

    listing = client.get(reverse("practices:topics"))
    added = client.post(reverse("practices:topics"), {"name": "Safety"})
    new = rows(Topic, name="Safety")[0]
    renamed = client.post(reverse("practices:topic_rename", args=[new.pk]), {"name": "Hygiene"})
    deleted = client.post(reverse("practices:topic_delete", args=[new.pk]))

    assert listing.status_code == 200 and "Checkout" in listing.content.decode()
    assert added.status_code == 302
    assert renamed.status_code == 302
    assert deleted.status_code == 302
    assert [t.name for t in rows(Topic)] == ["Checkout"]


def test_a_topic_in_use_is_not_deleted_and_the_refusal_is_shown(client, bob, practice, topic):
    client.force_login(bob)

    response = client.post(reverse("practices:topic_delete", args=[topic.pk]))

    assert response.status_code == 400
    assert "Practices use this topic" in response.content.decode()
    assert rows(Topic, pk=topic.pk)


def test_a_duplicate_topic_name_is_shown_on_the_form(client, bob, topic):
    client.force_login(bob)

    response = client.post(reverse("practices:topics"), {"name": "Checkout"})

    assert response.status_code == 400
    assert "This topic already exists." in response.content.decode()
    assert len(rows(Topic)) == 1


def test_a_rename_refusal_is_shown_beside_its_row(client, bob, topic, org_a):
    other = TopicFactory(organization=org_a, name="Safety")
    client.force_login(bob)

    response = client.post(reverse("practices:topic_rename", args=[other.pk]), {"name": "Checkout"})

    assert response.status_code == 400
    assert "This topic already exists." in response.content.decode()
    assert fresh(other).name == "Safety"


def test_a_manager_manages_job_types_and_one_in_use_stays(client, bob, alice):
    client.force_login(bob)

    added = client.post(reverse("practices:job_types"), {"name": "Cashier"})
    cashier = rows(JobType, name="Cashier")[0]
    renamed = client.post(
        reverse("practices:job_type_rename", args=[cashier.pk]), {"name": "Till operator"}
    )
    held = client.post(reverse("practices:job_type_delete", args=[alice.job_type_id]))
    listing = client.get(reverse("practices:job_types"))

    assert added.status_code == 302 and renamed.status_code == 302
    assert fresh(cashier).name == "Till operator"
    assert held.status_code == 400
    assert "Members hold this job type" in held.content.decode()
    assert "Till operator" in listing.content.decode()
    assert "Store staff" in listing.content.decode()


def test_job_types_of_another_organization_are_404(client, bob, charlie):
    foreign = JobTypeFactory(organization=charlie.organization, name="Foreign")
    client.force_login(bob)

    response = client.post(
        reverse("practices:job_type_rename", args=[foreign.pk]), {"name": "Mine"}
    )

    assert response.status_code == 404
    assert fresh(foreign).name == "Foreign"


# --- The organization's setting ----------------------------------------------------------------


def test_a_manager_turns_validation_on_and_off(client, bob):
    client.force_login(bob)

    page = client.get(reverse("practices:settings"))
    on = client.post(reverse("practices:settings"), {"practices_require_validation": "on"})
    stored_on = fresh(Organization(pk=bob.organization_id)).practices_require_validation
    off = client.post(reverse("practices:settings"), {})

    assert page.status_code == 200
    assert on.status_code == 302
    assert stored_on is True
    assert off.status_code == 302
    assert fresh(Organization(pk=bob.organization_id)).practices_require_validation is False
