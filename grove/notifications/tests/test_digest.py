"""The mail digest: who is due, what it lists, the mail itself, the task and the command."""

import datetime
import uuid
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from grove.audit.models import AuditAction
from grove.core.testing.factories import (
    JobTypeFactory,
    OrganizationFactory,
    PracticeFactory,
    TopicFactory,
    UserFactory,
)
from grove.notifications.digest import deliver_digest, enqueue_due_digests, is_due
from grove.notifications.models import DigestFrequency, NotificationPreference, TopicFollow
from grove.notifications.tasks import send_digest
from grove.notifications.tokens import user_id_from_token
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

from .conftest import preference_of

NOW = datetime.datetime(2025, 11, 20, 8, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def queued(settings):
    """The tasks enqueued (DummyBackend keeps them): ``queued()`` lists their results."""
    settings.TASKS = DUMMY
    from django_tasks import task_backends

    task_backends["default"].clear()
    return lambda: list(task_backends["default"].results)


def prefer(user, frequency, last=None):
    with unscoped("test set-up"):
        NotificationPreference.objects.update_or_create(
            user=user,
            defaults={
                "organization_id": user.organization_id,
                "digest_frequency": frequency,
                "last_digest_at": last,
            },
        )


def follow(user, *topics):
    with unscoped("test set-up"):
        for topic in topics:
            TopicFollow.objects.create(organization_id=user.organization_id, user=user, topic=topic)


def published(author, topic, *, ago=DAY, **fields):
    return PracticeFactory(
        organization=author.organization,
        author=author,
        topic=topic,
        published_at=NOW - ago,
        **fields,
    )


# --- Who is due --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frequency,last,due",
    [
        (DigestFrequency.DAILY, None, True),
        (DigestFrequency.DAILY, NOW - 24 * HOUR, True),
        (DigestFrequency.DAILY, NOW - 23 * HOUR, False),
        (DigestFrequency.WEEKLY, None, True),
        (DigestFrequency.WEEKLY, NOW - 7 * DAY, True),
        (DigestFrequency.WEEKLY, NOW - 6 * DAY, False),
        (DigestFrequency.NEVER, None, False),
        (DigestFrequency.NEVER, NOW - 30 * DAY, False),
    ],
)
def test_is_due(frequency, last, due):
    assert is_due(frequency, last, NOW) is due


def test_a_few_minutes_early_is_due_so_the_hour_does_not_drift():
    # Stamped when the task ran, a few minutes after the hourly pass that enqueued it.
    assert is_due(DigestFrequency.DAILY, NOW - 24 * HOUR + 5 * datetime.timedelta(minutes=1), NOW)


def test_it_enqueues_one_task_per_due_member_with_ids_only(queued, org_a, alice, bob, charlie):
    dora = UserFactory(organization=org_a)
    erin = UserFactory(organization=org_a)
    prefer(alice, DigestFrequency.DAILY, last=NOW - 25 * HOUR)  # due
    prefer(bob, DigestFrequency.DAILY, last=NOW - 2 * HOUR)  # not yet
    prefer(dora, DigestFrequency.NEVER)  # never
    prefer(erin, DigestFrequency.WEEKLY, last=NOW - 3 * DAY)  # not yet
    # charlie: no preference row, weekly by default, never sent: due

    assert enqueue_due_digests() == 2
    results = queued()
    assert {r.args[0] for r in results} == {str(alice.pk), str(charlie.pk)}
    for result in results:
        assert result.task.func is send_digest.func
        assert result.kwargs == {}
        user_id, organization_id = result.args
        assert isinstance(user_id, str) and isinstance(organization_id, str)
        uuid.UUID(user_id), uuid.UUID(organization_id)  # ids, nothing else
    assert {tuple(r.args) for r in results} == {
        (str(alice.pk), str(org_a.pk)),
        (str(charlie.pk), str(charlie.organization_id)),
    }


def test_weekly_becomes_due_after_seven_days(queued, alice, frozen):
    prefer(alice, DigestFrequency.WEEKLY, last=NOW)
    frozen.shift(6 * DAY)
    assert enqueue_due_digests() == 0
    frozen.shift(DAY)
    assert enqueue_due_digests() == 1


def test_daily_becomes_due_after_a_day(queued, alice, frozen):
    prefer(alice, DigestFrequency.DAILY, last=NOW)
    frozen.shift(23 * HOUR)
    assert enqueue_due_digests() == 0
    frozen.shift(HOUR)
    assert enqueue_due_digests() == 1


def test_deactivated_members_and_staff_are_not_enqueued(queued, alice, csm):
    with unscoped("test set-up"):
        alice.is_active = False
        alice.save(update_fields=["is_active"])
    assert enqueue_due_digests() == 0


def test_an_ended_organization_gets_nothing(queued, org_a, alice):
    with unscoped("test set-up"):
        org_a.status = Organization.Status.ENDED
        org_a.save(update_fields=["status"])
    assert enqueue_due_digests() == 0
    # A task enqueued before the end sends nothing either.
    assert deliver_digest(user_id=str(alice.pk), organization_id=str(org_a.pk)) == 0
    assert mail.outbox == []


# --- What the digest lists ---------------------------------------------------------------------


@pytest.fixture
def world(org_a, alice, bob):
    """Alice (France, store staff) follows Merchandising; Bob publishes around her."""
    merch = TopicFactory(organization=org_a, name="Merchandising")
    safety = TopicFactory(organization=org_a, name="Safety")
    other_job = JobTypeFactory(organization=org_a, name="Warehouse")
    follow(alice, merch)
    practices = {
        "for_everyone": published(bob, merch, title="Facing the shelves"),
        "for_france": published(bob, merch, title="French window display", target_countries=["FR"]),
        "for_her_job": published(
            bob, merch, title="Store staff rota", target_job_types=[alice.job_type]
        ),
        "for_germany": published(bob, merch, title="German only", target_countries=["DE"]),
        "for_warehouse": published(
            bob, merch, title="Warehouse only", target_job_types=[other_job]
        ),
        "other_topic": published(bob, safety, title="Wet floor signs"),
        "highlighted_other_topic": published(
            bob, safety, title="Fire drill in ten minutes", highlighted_at=NOW - HOUR
        ),
        "too_old": published(bob, merch, title="Old news", ago=8 * DAY),
        "draft": PracticeFactory(
            organization=org_a, author=bob, topic=merch, title="Unfinished", status="draft"
        ),
        "her_own": published(alice, merch, title="Alice's own"),
    }
    return {"merch": merch, "safety": safety, **practices}


def test_the_digest_lists_targeted_practices_of_followed_topics_and_highlights(
    alice, world, audit_events
):
    assert deliver_digest(user_id=alice.pk, organization_id=alice.organization_id) == 4
    (message,) = mail.outbox
    assert message.to == [alice.email]
    listed = {
        key
        for key, value in world.items()
        if hasattr(value, "title") and value.title in message.body
    } - {"merch", "safety"}
    assert listed == {"for_everyone", "for_france", "for_her_job", "highlighted_other_topic"}
    body = message.body
    assert body.index("Fire drill in ten minutes") < body.index("Facing the shelves")
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Facing the shelves" in html
    assert f"/practices/{world['for_everyone'].pk}/" in html

    (event,) = audit_events(AuditAction.LIST)
    assert event.object_type == "digest"
    assert event.subject_user_id == alice.pk
    assert set(event.object_ids) == {
        str(world[k].pk)
        for k in ("for_everyone", "for_france", "for_her_job", "highlighted_other_topic")
    }
    assert preference_of(alice).last_digest_at == NOW


def test_without_followed_topics_every_topic_counts(alice, bob, org_a):
    merch = TopicFactory(organization=org_a, name="Merchandising")
    safety = TopicFactory(organization=org_a, name="Safety")
    published(bob, merch, title="Facing the shelves")
    published(bob, safety, title="Wet floor signs")
    assert deliver_digest(user_id=alice.pk, organization_id=org_a.pk) == 2


def test_the_next_digest_lists_only_what_is_new_since_the_last(alice, bob, world, frozen):
    prefer(alice, DigestFrequency.DAILY, last=NOW - HOUR / 2)  # after everything in world
    frozen.shift(DAY)
    published(bob, world["merch"], title="Brand new", ago=-DAY + HOUR)  # an hour ago
    assert deliver_digest(user_id=alice.pk, organization_id=alice.organization_id) == 1
    (message,) = mail.outbox
    assert "Brand new" in message.body and "Facing the shelves" not in message.body


def test_nothing_new_sends_nothing_and_records_nothing(alice, audit_events):
    assert deliver_digest(user_id=alice.pk, organization_id=alice.organization_id) == 0
    assert mail.outbox == []
    assert audit_events(AuditAction.LIST) == []
    # The period is closed all the same: an idle member is not queued again every hour.
    assert preference_of(alice).last_digest_at == NOW


def test_a_member_not_due_when_the_task_runs_gets_nothing(alice, world):
    prefer(alice, DigestFrequency.WEEKLY, last=NOW - DAY)
    assert deliver_digest(user_id=alice.pk, organization_id=alice.organization_id) == 0
    prefer(alice, DigestFrequency.NEVER)
    assert deliver_digest(user_id=alice.pk, organization_id=alice.organization_id) == 0
    assert mail.outbox == []


def test_a_member_deactivated_after_the_enqueue_gets_nothing(alice, world):
    with unscoped("test set-up"):
        alice.is_active = False
        alice.save(update_fields=["is_active"])
    assert deliver_digest(user_id=alice.pk, organization_id=alice.organization_id) == 0
    assert mail.outbox == []


def test_a_task_naming_another_organization_finds_nobody(alice, charlie, world):
    assert deliver_digest(user_id=alice.pk, organization_id=charlie.organization_id) == 0
    assert mail.outbox == []


# --- The mail ----------------------------------------------------------------------------------


def test_the_mail_has_one_click_unsubscribe_headers(alice, world, settings):
    deliver_digest(user_id=alice.pk, organization_id=alice.organization_id)
    (message,) = mail.outbox
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith(f"<{settings.GROVE_BASE_URL}/notifications/unsubscribe/")
    assert header.endswith("/>")
    token = header.rsplit("/unsubscribe/", 1)[1][:-2]
    assert user_id_from_token(token) == alice.pk
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert header[1:-1] in message.body
    # The raw message carries them too (what the backend hands to the provider).
    raw = message.message().as_string()
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw


def test_the_mail_is_in_the_members_language(alice, world):
    with unscoped("test set-up"):
        alice.language = "fr"
        alice.save(update_fields=["language"])
    deliver_digest(user_id=alice.pk, organization_id=alice.organization_id)
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    # The week before 20 November: Django's own French catalogue names the month.
    assert "13 novembre 2025" in message.body
    assert 'lang="fr"' in html and "13 novembre 2025" in html
    assert timezone.get_current_timezone_name() == "UTC"


def test_the_mail_is_in_english_without_a_profile_language(alice, world):
    deliver_digest(user_id=alice.pk, organization_id=alice.organization_id)
    (message,) = mail.outbox
    assert "13 November 2025" in message.body
    assert "Hello Alice," in message.body
    assert message.subject == "Grove: 4 practices for you"


# --- The task and the command ----------------------------------------------------------------


def test_the_task_sends_the_digest(settings, alice, world):
    settings.TASKS = IMMEDIATE
    result = send_digest.enqueue(str(alice.pk), str(alice.organization_id))
    assert result.status == "SUCCESSFUL", result.errors
    assert result.return_value == 4
    assert len(mail.outbox) == 1


def test_the_hourly_pass_runs_through_the_queue(settings, alice, bob, charlie, world):
    settings.TASKS = IMMEDIATE
    prefer(bob, DigestFrequency.NEVER)
    assert enqueue_due_digests() == 2  # alice, charlie (nothing for charlie: no mail)
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert enqueue_due_digests() == 0  # both periods closed


def test_the_command_enqueues_the_due_digests(queued, alice):
    out = StringIO()
    call_command("send_digests", stdout=out)
    assert out.getvalue().strip() == "Enqueued 1 digest(s)."
    assert [r.args for r in queued()] == [[str(alice.pk), str(alice.organization_id)]]


def test_another_organization_is_walked_in_its_own_scope(queued, alice, charlie):
    other = OrganizationFactory()
    UserFactory(organization=other)
    assert enqueue_due_digests() == 3


def test_a_second_task_for_the_same_member_sends_nothing(alice, world):
    assert deliver_digest(user_id=alice.pk, organization_id=alice.organization_id) == 4
    assert deliver_digest(user_id=alice.pk, organization_id=alice.organization_id) == 0
    assert len(mail.outbox) == 1


def test_a_mail_that_fails_leaves_the_period_open(alice, world, audit_events, monkeypatch):
    from django.core.mail import EmailMultiAlternatives

    def refuse(self, fail_silently=False):
        raise ConnectionError("provider down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    with pytest.raises(ConnectionError):
        deliver_digest(user_id=alice.pk, organization_id=alice.organization_id)
    assert preference_of(alice) is None
    assert audit_events(AuditAction.LIST) == []
