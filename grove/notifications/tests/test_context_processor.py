"""The unread count in the page header: one COUNT for a member, no query otherwise."""

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from grove.notifications import actions
from grove.notifications.context_processors import unread_notifications
from grove.tenancy.context import tenant_context


def request_of(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_a_member_gets_one_count_query(alice, bob, practice_of_alice, django_assert_num_queries):
    with tenant_context(alice.organization):
        actions.notify_adopted(practice=practice_of_alice, adopter=bob)
        actions.notify_highlighted(practice=practice_of_alice, actor=bob)
        actions.notifications_mark_read(actor=alice, notification_ids=[])
    with django_assert_num_queries(0):
        count = unread_notifications(request_of(alice))["unread_notifications_count"]
    with django_assert_num_queries(1) as captured:
        assert count() == 2
        assert count() == 2  # asked once per request
    assert "COUNT(" in captured.captured_queries[0]["sql"].upper()


def test_anonymous_visitors_and_staff_get_zero_without_a_query(csm, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert unread_notifications(request_of(AnonymousUser())) == {
            "unread_notifications_count": 0
        }
        assert unread_notifications(request_of(csm)) == {"unread_notifications_count": 0}


def test_the_count_is_the_members_own(bob, charlie, django_assert_num_queries):
    assert unread_notifications(request_of(charlie))["unread_notifications_count"]() == 0
    assert unread_notifications(request_of(bob))["unread_notifications_count"]() == 0


def test_a_page_shows_the_count(client, alice, bob, practice_of_alice):
    with tenant_context(alice.organization):
        actions.notify_adopted(practice=practice_of_alice, adopter=bob)
    client.force_login(alice)
    response = client.get("/notifications/")
    assert response.status_code == 200
    assert "(1 unread)" in response.content.decode()
