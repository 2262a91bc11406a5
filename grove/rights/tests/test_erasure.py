"""Erasure of one person: nothing readable left, other people untouched, files and sessions gone."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from grove.accounts.models import OrgRole, User
from grove.audit.models import AuditAction, AuditEvent
from grove.core.testing.factories import UserFactory
from grove.practices.models import Attachment, Comment, Practice, Reaction
from grove.privacy.datamap import Category, declared_map, mapped_models
from grove.rights import erasure
from grove.rights.errors import RightsRefusal
from grove.rights.models import (
    Channel,
    DataSubjectRequest,
    ErasureRecord,
    PersonalDataExport,
    RequestState,
    RequestType,
)
from grove.tenancy.context import unscoped

from .test_erasure_support import (
    EMAIL,
    FIRST_NAME,
    LAST_NAME,
    make_footprint,
    make_person,
    needles,
    search_blindly,
    search_through_the_data_map,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def person(org_a, bob):
    return make_person(org_a)


@pytest.fixture
def footprint(org_a, person, alice, bob):
    return make_footprint(org_a, person=person, alice=alice, bob=bob)


def _erase(subject, officer, **kwargs):
    return erasure.erase_person(actor=officer, subject=subject, **kwargs)


def _rows_per_model() -> dict[str, int]:
    with unscoped("test: counting rows"):
        return {m._meta.label: m._base_manager.count() for m in mapped_models()}


def _reload(user) -> User:
    with unscoped("test"):
        return User._base_manager.get(pk=user.pk)


# --- Nothing readable left -----------------------------------------------------------------------


def test_the_footprint_is_found_before_the_erasure(footprint):
    # The searches find what they look for: otherwise "nothing found" would prove nothing.
    assert search_through_the_data_map(needles())
    blind = search_blindly(needles())
    assert any(hit.startswith("accounts_user.email") for hit in blind)
    assert any(hit.startswith("rights_datasubjectrequest.rectification") for hit in blind)


def test_no_column_of_any_table_holds_the_person_after_the_erasure(
    footprint, security_officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _erase(footprint.person, security_officer)
    assert search_through_the_data_map(needles()) == []
    assert search_blindly(needles()) == []


def test_the_user_row_is_anonymised_irreversibly(footprint, security_officer):
    _erase(footprint.person, security_officer)
    user = _reload(footprint.person)
    assert user.email.startswith("erased-") and user.email.endswith("@erased.invalid")
    assert (user.first_name, user.last_name, user.country, user.language) == ("", "", "", "")
    assert user.job_type_id is None and user.last_login is None
    assert user.terms_accepted_at is None
    assert not user.has_usable_password() and not user.is_active
    assert user.is_erased and user.erased_at is not None
    # Everything the data map calls personal, a credential or a setting is blank.
    for name, (category, _retention) in declared_map(User).items():
        if category in erasure.ERASED_CATEGORIES and name not in ("email", "password"):
            assert getattr(user, User._meta.get_field(name).attname) in ("", None), name


def test_rows_that_exist_only_for_the_person_are_deleted(footprint, security_officer):
    person = footprint.person
    record = _erase(person, security_officer)
    with unscoped("test"):
        for reference in erasure.person_references():
            if reference.treatment == erasure.Treatment.DELETE:
                rows = reference.model._base_manager.filter(**{reference.field.name: person})
                assert not rows.exists(), reference.label
        assert not Reaction.objects.filter(user=person).exists()
    for label in (
        "practices.Reaction",
        "practices.PracticeRead",
        "practices.MonthlyActivity",
        "notifications.Notification",
        "notifications.NotificationPreference",
        "notifications.TopicFollow",
        "accounts.Invitation",
        "api.ApiToken",
    ):
        assert record.counts["deleted"][label] >= 1, label


def test_practices_and_comments_stay_with_a_former_member_as_author(
    footprint, security_officer, alice
):
    _erase(footprint.person, security_officer)
    with unscoped("test"):
        practice = Practice.objects.get(pk=footprint.practice.pk)
        assert practice.author_id is None and practice.title == "Cold chain checks"
        assert Practice.objects.filter(pk=footprint.draft.pk, author=None).exists()
        comment = Comment.objects.get(body="We do it too")
        assert comment.author_id is None
        # Alice's comment on the erased person's practice is hers: untouched.
        assert Comment.objects.get(body="Nice one").author_id == alice.pk
        assert Attachment.objects.filter(practice=practice).count() == 1
    for name in footprint.attachment_files:
        assert default_storage.exists(name)  # kept with the practice


def test_the_practice_page_shows_former_member(client, footprint, security_officer, alice):
    _erase(footprint.person, security_officer)
    client.force_login(alice)
    response = client.get(reverse("practices:detail", args=[footprint.practice.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Former member" in page
    assert LAST_NAME not in page and FIRST_NAME not in page


def test_the_erased_persons_member_page_is_gone(client, footprint, security_officer, alice):
    client.force_login(alice)
    url = reverse("practices:member", args=[footprint.person.pk])
    assert client.get(url).status_code == 200
    _erase(footprint.person, security_officer)
    assert client.get(url).status_code == 404


def test_the_organization_setting_deletes_their_practices_and_files(
    org_a, footprint, security_officer, django_capture_on_commit_callbacks
):
    org_a.erasure_deletes_practices = True
    with unscoped("test"):
        org_a.save(update_fields=["erasure_deletes_practices"])
    plan = erasure.erasure_plan(footprint.person)
    assert plan.deletes_practices
    assert set(footprint.attachment_files) <= set(plan.files)
    with django_capture_on_commit_callbacks(execute=True):
        record = _erase(footprint.person, security_officer)
    with unscoped("test"):
        assert not Practice.objects.filter(
            pk__in=[footprint.practice.pk, footprint.draft.pk]
        ).exists()
        assert Practice.objects.filter(pk=footprint.colleague_practice.pk).exists()
        assert not Attachment.objects.exists()
        # Comments elsewhere stay as content.
        assert Comment.objects.filter(body="We do it too", author=None).exists()
    assert record.counts["deleted"]["practices.Practice"] == 2
    for name in footprint.attachment_files:
        assert not default_storage.exists(name)


def test_exports_lose_their_file_and_link_and_requests_their_rectified_values(
    footprint, security_officer, django_capture_on_commit_callbacks
):
    assert default_storage.exists(footprint.export_file)
    with django_capture_on_commit_callbacks(execute=True):
        _erase(footprint.person, security_officer)
    assert not default_storage.exists(footprint.export_file)
    with unscoped("test"):
        export = PersonalDataExport.objects.get(subject=footprint.person)
        assert not export.file and export.token_hash is None
        request = DataSubjectRequest.objects.get(subject=footprint.person)
        assert request.rectification == {} and request.filed_by_id is None
        assert request.state == RequestState.FULFILLED  # the record itself stays


def test_access_log_events_keep_their_ids_and_are_not_edited(footprint, security_officer):
    with unscoped("test"):
        before = list(
            AuditEvent.objects.filter(subject_user_id=footprint.person.pk).values_list("pk", "hash")
        )
    assert before
    record = _erase(footprint.person, security_officer)
    with unscoped("test"):
        after = dict(
            AuditEvent.objects.filter(subject_user_id=footprint.person.pk).values_list("pk", "hash")
        )
        event = AuditEvent.objects.get(action=AuditAction.ERASURE_APPLIED)
    assert all(after[pk] == digest for pk, digest in before)
    assert event.object_ids == [str(footprint.person.pk)]
    assert event.subject_user_id == footprint.person.pk
    assert event.actor_id == security_officer.pk
    assert event.details["erasure_record"] == str(record.pk)
    assert event.details["counts"] == record.counts
    assert event.details["files"] == 1  # the export's ZIP (the practice keeps its photo)
    assert EMAIL not in str(event.details) and LAST_NAME not in str(event.details)


def test_other_people_are_untouched(footprint, security_officer, alice, bob, charlie):
    others = [alice, bob, charlie]
    with unscoped("test"):
        snapshot = {
            u.pk: (u.email, u.first_name, u.last_name, u.country, u.is_active, u.password)
            for u in User._base_manager.filter(pk__in=[o.pk for o in others])
        }
        their_reactions = Reaction.objects.filter(user=alice).count()
    rows_before = _rows_per_model()
    record = _erase(footprint.person, security_officer)
    rows_after = _rows_per_model()
    with unscoped("test"):
        for user in User._base_manager.filter(pk__in=[o.pk for o in others]):
            assert snapshot[user.pk] == (
                user.email,
                user.first_name,
                user.last_name,
                user.country,
                user.is_active,
                user.password,
            )
        assert Reaction.objects.filter(user=alice).count() == their_reactions == 1
    # Rows disappear only where the erasure says it deleted them; the ledger and the log grow.
    for label, before in rows_before.items():
        deleted = record.counts["deleted"].get(label, 0)
        grown = {"rights.ErasureRecord": 1, "audit.AuditEvent": 1, "audit.AuditChainHead": 0}
        if label == "audit.AuditChainHead":
            continue
        assert rows_after[label] == before - deleted + grown.get(label, 0), label


def test_sessions_are_ended_and_the_client_is_logged_out(client, footprint, security_officer):
    client.force_login(footprint.person)
    assert client.get(reverse("practices:feed")).status_code == 200
    other = type(client)()
    other.force_login(footprint.person)  # a second device
    assert erasure.erasure_plan(footprint.person).counts["sessions.Session"] == 2
    _erase(footprint.person, security_officer)
    for logged_in in (client, other):
        response = logged_in.get(reverse("practices:feed"))
        assert response.status_code == 302 and "login" in response["Location"]


def test_other_peoples_sessions_stay(client, footprint, security_officer, alice):
    client.force_login(alice)
    _erase(footprint.person, security_officer)
    assert client.get(reverse("practices:feed")).status_code == 200


# --- Who may erase, and the last manager ---------------------------------------------------------


def test_without_a_request_only_the_security_officer_may_erase(footprint, csm, bob):
    for actor in (csm, bob, footprint.person):
        with pytest.raises(RightsRefusal):
            _erase(footprint.person, actor)
    assert not _reload(footprint.person).is_erased


def _erasure_request(org, subject, *, state, decided_by=None) -> DataSubjectRequest:
    with unscoped("test set-up"):
        return DataSubjectRequest.objects.create(
            organization=org,
            subject=subject,
            request_type=RequestType.ERASURE,
            state=state,
            channel=Channel.PROFILE,
            filed_by=subject,
            due_at=timezone.now() + datetime.timedelta(days=30),
            decided_by=decided_by,
        )


def test_a_request_must_be_an_erasure_approved_by_the_officer(
    org_a, footprint, csm, security_officer
):
    person = footprint.person
    waiting = _erasure_request(org_a, person, state=RequestState.AWAITING_APPROVAL)
    with pytest.raises(RightsRefusal):
        erasure.erase_person(actor=csm, subject=person, dsr=waiting)
    approved_by_csm = _erasure_request(org_a, person, state=RequestState.APPROVED, decided_by=csm)
    with pytest.raises(RightsRefusal):
        erasure.erase_person(actor=csm, subject=person, dsr=approved_by_csm)
    assert not _reload(person).is_erased
    approved = _erasure_request(
        org_a, person, state=RequestState.APPROVED, decided_by=security_officer
    )
    record = erasure.erase_person(actor=csm, subject=person, dsr=approved)
    assert record.request_id == approved.pk
    assert _reload(person).is_erased


def test_a_request_about_someone_else_is_refused(org_a, footprint, alice, security_officer):
    approved = _erasure_request(
        org_a, alice, state=RequestState.APPROVED, decided_by=security_officer
    )
    with pytest.raises(RightsRefusal):
        erasure.erase_person(actor=security_officer, subject=footprint.person, dsr=approved)


def test_an_erased_person_is_not_erased_twice(footprint, security_officer):
    _erase(footprint.person, security_officer)
    with pytest.raises(RightsRefusal):
        _erase(footprint.person, security_officer)


def test_staff_accounts_are_refused(csm, security_officer):
    with pytest.raises(RightsRefusal):
        _erase(csm, security_officer)


def test_the_last_manager_needs_a_successor_who_is_promoted(
    org_a, alice, charlie, security_officer
):
    manager = make_person(org_a, role=OrgRole.MANAGER)
    plan = erasure.erasure_plan(manager)
    assert plan.is_last_manager
    assert alice.pk in {u.pk for u in plan.successor_candidates}
    with pytest.raises(RightsRefusal, match="last manager"):
        _erase(manager, security_officer)
    with pytest.raises(RightsRefusal, match="same organization"):
        _erase(manager, security_officer, successor_manager=charlie)
    assert not _reload(manager).is_erased
    _erase(manager, security_officer, successor_manager=alice)
    assert _reload(alice).org_role == OrgRole.MANAGER
    with unscoped("test"):
        event = AuditEvent.objects.get(action=AuditAction.ROLE_CHANGED)
    assert event.object_ids == [str(alice.pk)] and event.details["to"] == OrgRole.MANAGER


def test_a_manager_with_another_manager_needs_no_successor(org_a, bob, alice, security_officer):
    manager = make_person(org_a, role=OrgRole.MANAGER)
    assert not erasure.erasure_plan(manager).is_last_manager
    _erase(manager, security_officer, successor_manager=alice)
    assert _reload(alice).org_role == OrgRole.MEMBER  # nobody promoted: Bob still manages


# --- The plan and the ledger ---------------------------------------------------------------------


def test_the_plan_counts_what_the_erasure_does_and_changes_nothing(footprint, security_officer):
    plan = erasure.erasure_plan(footprint.person)
    assert not plan.is_last_manager and not plan.deletes_practices
    assert plan.counts["practices.Reaction"] == 3
    assert plan.by_treatment["deleted"]["practices.Reaction"] == 3
    assert plan.by_treatment["unlinked"]["practices.Practice"] == 2
    assert plan.by_treatment["anonymised"]["accounts.User"] == 1
    # Notifications to her are deleted; the one about her adoption, sent to Bob, is kept.
    assert plan.by_treatment["deleted"]["notifications.Notification"] == 1
    assert plan.by_treatment["unlinked"]["notifications.Notification"] == 1
    assert plan.files == [footprint.export_file]
    assert not _reload(footprint.person).is_erased
    record = _erase(footprint.person, security_officer)
    assert record.counts == plan.by_treatment


def test_the_ledger_holds_a_keyed_hash_and_nothing_readable(footprint, security_officer, settings):
    settings.GROVE_ERASURE_LEDGER_KEY = "ledger-key"
    record = _erase(footprint.person, security_officer)
    assert record.email_hash == erasure.ledger_hash(EMAIL) == erasure.ledger_hash(EMAIL.upper())
    assert record.email_hash != erasure.ledger_hash("someone@else.example")
    settings.GROVE_ERASURE_LEDGER_KEY = "another-key"
    assert record.email_hash != erasure.ledger_hash(EMAIL)
    assert record.user_id == footprint.person.pk
    with unscoped("test"):
        assert ErasureRecord.objects.count() == 1


# --- The map covers everything ------------------------------------------------------------------


def test_every_model_with_personal_fields_is_reached():
    routes = erasure.coverage()
    assert "UNREACHED" not in routes.values(), routes
    assert routes["accounts.User"] == "person"
    assert routes["sessions.Session"] == "finder"
    assert routes["otp_static.StaticToken"] == "cascade"


def test_every_reference_to_a_user_is_classified_as_one():
    references = erasure.person_references()
    assert len(references) > 20
    for reference in references:
        category, _retention = declared_map(reference.model)[reference.field.name]
        assert category == Category.PERSON_REFERENCE, reference.label


def test_a_new_model_with_a_foreign_key_to_users_is_found_by_itself():
    labels = {r.label for r in erasure.person_references()}
    # Models nobody listed anywhere in erasure.py: found through the schema and the data map.
    assert {"subprocessors.NoticeDelivery", "staff.AccessGrant", "otp_totp.TOTPDevice"} <= labels


def test_the_person_others_can_be_created_with_the_same_email_after_the_erasure(
    org_a, footprint, security_officer
):
    _erase(footprint.person, security_officer)
    again = UserFactory(email=EMAIL, organization=org_a, password="!")
    assert again.pk != footprint.person.pk


def _user_list(org, text: str):
    from django.core.files.base import ContentFile

    from grove.onboarding.models import UserImport

    name = default_storage.save(f"imports/{org.pk}/list.csv", ContentFile(text.encode()))
    with unscoped("test set-up"):
        return UserImport.objects.create(
            organization=org, source="web", file_sha256="d" * 64, file_format="csv",
            normalised_file=name,
        )  # fmt: skip


def test_a_pending_user_list_naming_the_person_is_deleted(
    org_a, org_b, footprint, security_officer, django_capture_on_commit_callbacks
):
    from grove.onboarding.models import UserImport

    header = "email,first_name,last_name\n"
    naming = _user_list(org_a, header + f"{EMAIL.upper()},{FIRST_NAME},{LAST_NAME}\n")
    other = _user_list(org_a, header + "someone@a.example,Some,One\n")
    elsewhere = _user_list(org_b, header + f"{EMAIL},{FIRST_NAME},{LAST_NAME}\n")
    plan = erasure.erasure_plan(footprint.person)
    assert naming.normalised_file.name in plan.files
    with django_capture_on_commit_callbacks(execute=True):
        _erase(footprint.person, security_officer)
    with unscoped("test"):
        assert not UserImport.objects.get(pk=naming.pk).normalised_file
        assert UserImport.objects.get(pk=other.pk).normalised_file
        # Another organization's list names another account (emails are per account).
        assert UserImport.objects.get(pk=elsewhere.pk).normalised_file
    assert not default_storage.exists(naming.normalised_file.name)
    assert default_storage.exists(other.normalised_file.name)
