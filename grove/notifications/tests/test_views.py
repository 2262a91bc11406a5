"""The notification pages: login required, another person's ids are 404, htmx fragments."""

import pytest
from django.urls import reverse

from grove.audit.models import AuditAction
from grove.core.testing.factories import TopicFactory
from grove.notifications import actions
from grove.notifications.models import DigestFrequency
from grove.tenancy.context import tenant_context

from .conftest import followed_topics, notifications_of, preference_of

LIST = reverse("notifications:list")
PREFERENCES = reverse("notifications:preferences")
READ_ALL = reverse("notifications:mark_all_read")


@pytest.fixture
def adopted_twice(alice, bob, practice_of_alice):
    with tenant_context(alice.organization):
        actions.notify_adopted(practice=practice_of_alice, adopter=bob)
        actions.notify_highlighted(practice=practice_of_alice, actor=bob)
    return notifications_of(alice)


def read_url(notification) -> str:
    return reverse("notifications:mark_read", args=[notification.pk])


@pytest.mark.parametrize("method,url", [("get", LIST), ("get", PREFERENCES), ("post", READ_ALL)])
def test_login_is_required(db, client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_login_is_required_to_mark_one_read(client, alice, adopted_twice):
    response = client.post(read_url(adopted_twice[0]))
    assert response.status_code == 302
    assert notifications_of(alice)[0].read_at is None


def test_the_list_shows_the_members_notifications_newest_first(
    client, alice, adopted_twice, practice_of_alice, audit_events
):
    client.force_login(alice)
    response = client.get(LIST)
    assert response.status_code == 200
    body = response.content.decode()
    adopted = body.index("Bob Berg adopted your practice")
    highlighted = body.index("was highlighted")
    assert highlighted < adopted  # newest first
    assert practice_of_alice.title in body
    assert reverse("practices:detail", args=[practice_of_alice.pk]) in body
    (event,) = audit_events(AuditAction.LIST)
    assert event.object_type == "notification"
    assert set(event.object_ids) == {str(n.pk) for n in adopted_twice}


def test_the_list_shows_nothing_of_someone_else(client, bob, adopted_twice):
    client.force_login(bob)
    body = client.get(LIST).content.decode()
    assert "adopted your practice" not in body
    assert "No notifications yet." in body


def test_marking_one_read_with_htmx_returns_its_row(client, alice, adopted_twice):
    client.force_login(alice)
    target = adopted_twice[0]
    response = client.post(read_url(target), headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="notification-{target.pk}"' in body and "Mark as read" not in body
    assert [n.is_read for n in notifications_of(alice)] == [True, False]


def test_marking_one_read_without_htmx_redirects_to_the_list(client, alice, adopted_twice):
    client.force_login(alice)
    response = client.post(read_url(adopted_twice[1]))
    assert response.status_code == 302 and response["Location"] == LIST
    assert [n.is_read for n in notifications_of(alice)] == [False, True]


def test_marking_all_read(client, alice, adopted_twice):
    client.force_login(alice)
    response = client.post(READ_ALL, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Mark as read" not in response.content.decode()
    assert all(n.is_read for n in notifications_of(alice))


def test_charlie_gets_404_on_alices_notification(
    client, alice, charlie, adopted_twice, audit_events
):
    client.force_login(charlie)
    response = client.post(read_url(adopted_twice[0]))
    assert response.status_code == 404
    assert not any(n.is_read for n in notifications_of(alice))
    assert audit_events(AuditAction.UPDATE) == []


def test_another_member_of_a_gets_404_on_alices_notification(client, bob, adopted_twice):
    client.force_login(bob)
    assert client.post(read_url(adopted_twice[0])).status_code == 404


def test_get_does_not_mark_read(client, alice, adopted_twice):
    client.force_login(alice)
    assert client.get(read_url(adopted_twice[0])).status_code == 405
    assert client.get(READ_ALL).status_code == 405
    assert not any(n.is_read for n in notifications_of(alice))


def test_staff_have_no_notification_pages(staff_client, csm):
    client = staff_client(csm)
    assert client.get(LIST).status_code == 404
    assert client.get(PREFERENCES).status_code == 404


def test_the_preferences_page_shows_weekly_and_the_organizations_topics(
    client, alice, topic_a, charlie
):
    TopicFactory(organization=charlie.organization, name="Topic of B")
    client.force_login(alice)
    response = client.get(PREFERENCES)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="weekly"' in body and 'value="never"' in body
    assert topic_a.name in body and "Topic of B" not in body
    assert response.context["form"]["digest_frequency"].value() == DigestFrequency.WEEKLY


def test_saving_the_preferences(client, alice, topic_a, audit_events):
    client.force_login(alice)
    response = client.post(PREFERENCES, {"digest_frequency": "daily", "topics": [str(topic_a.pk)]})
    assert response.status_code == 302 and response["Location"] == PREFERENCES
    assert preference_of(alice).digest_frequency == DigestFrequency.DAILY
    assert followed_topics(alice) == {topic_a.pk}
    assert len(audit_events(AuditAction.UPDATE)) == 1
    page = client.get(PREFERENCES)
    assert page.context["form"]["topics"].value() == [str(topic_a.pk)]


def test_charlie_cannot_follow_a_topic_of_a_from_the_page(client, charlie, topic_a):
    client.force_login(charlie)
    response = client.post(PREFERENCES, {"digest_frequency": "daily", "topics": [str(topic_a.pk)]})
    assert response.status_code == 200  # the form again, with its error
    assert response.context["form"].errors["topics"]
    assert topic_a.name not in response.content.decode()
    assert preference_of(charlie) is None and followed_topics(charlie) == set()
