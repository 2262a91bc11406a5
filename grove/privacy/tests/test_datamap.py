"""The data map covers every field, and only the policy's personal categories exist."""

import pytest
from django.apps import apps as installed_apps
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import models
from django.test.utils import isolate_apps

from grove.accounts.models import User
from grove.privacy.datamap import (
    Category,
    DataMapError,
    Retention,
    inventory,
    problems,
)
from grove.privacy.third_party import THIRD_PARTY_DATA_MAP

# Written out from the privacy policy, not imported: widening the list in datamap.py alone must
# fail this file.
POLICY_PERSONAL_CATEGORIES = {
    "contact.business_email",
    "identity.name",
    "business.country",
    "business.job_type",
    "log.functional",
    "session.cookie",
}
POLICY_OTHER_CATEGORIES = {
    "person.reference",
    "content",
    "security.credential",
    "account.setting",
    "system",
}
POLICY_RETENTIONS = {"contract", "contract+90d", "until-erased", "system"}


def _throwaway_copy_of_user() -> type[models.Model]:
    """A model with User's own columns and User's DATA_MAP, registered in the isolated app
    registry active around the call (relations become plain UUID columns of the same name)."""
    attrs: dict = {
        "__module__": __name__,
        "DATA_MAP": dict(User.DATA_MAP),
        "Meta": type("Meta", (), {"app_label": "privacy"}),
    }
    for field in User._meta.local_concrete_fields:
        if field.primary_key:
            attrs[field.name] = models.UUIDField(primary_key=True)
        elif field.is_relation:
            attrs[field.name] = models.UUIDField(null=True)
        else:
            attrs[field.name] = field.clone()
    return type("ThrowawayUser", (models.Model,), attrs)


def test_every_field_of_every_model_is_classified():
    assert problems() == []


def test_the_policy_lists_are_the_ones_in_code():
    assert set(Category.values) == POLICY_PERSONAL_CATEGORIES | POLICY_OTHER_CATEGORIES
    assert set(Retention.values) == POLICY_RETENTIONS


def test_only_the_policys_personal_categories_are_in_the_inventory():
    entries = inventory()
    personal_categories = {e.category for e in entries if e.personal}
    assert personal_categories <= POLICY_PERSONAL_CATEGORIES
    for entry in entries:
        assert entry.personal == (entry.category in POLICY_PERSONAL_CATEGORIES), entry
        assert entry.category in POLICY_PERSONAL_CATEGORIES | POLICY_OTHER_CATEGORIES, entry
        assert entry.retention in POLICY_RETENTIONS, entry


def test_personal_data_is_never_kept_as_system_data():
    for entry in inventory():
        if entry.personal:
            assert entry.retention != "system", entry


def test_users_personal_fields_are_exactly_the_policys():
    personal = {
        e.field: e.category for e in inventory() if e.model == "accounts.User" and e.personal
    }
    assert personal == {
        "email": "contact.business_email",
        "first_name": "identity.name",
        "last_name": "identity.name",
        "country": "business.country",
        "job_type": "business.job_type",
        "last_login": "log.functional",
        "terms_accepted_at": "log.functional",  # when the terms of use were accepted
    }


def test_a_new_phone_field_is_reported_as_unclassified():
    with isolate_apps("grove.privacy") as isolated:
        model = _throwaway_copy_of_user()
        assert problems([model]) == []  # User's fields as they are: all classified

        models.CharField(max_length=30, blank=True).contribute_to_class(model, "phone")

        assert "phone" in [f.name for f in model._meta.concrete_fields]
        assert problems([model]) == ["privacy.ThrowawayUser.phone: unclassified field"]
        assert isolated.get_model("privacy", "ThrowawayUser") is model
    # Nothing leaked into the project's registry nor into User.
    assert "ThrowawayUser" not in [m.__name__ for m in installed_apps.get_models()]
    assert "phone" not in [f.name for f in User._meta.get_fields()]
    assert problems() == []


def test_a_category_outside_the_policy_is_reported(monkeypatch):
    monkeypatch.setattr(
        User, "DATA_MAP", {**User.DATA_MAP, "country": ("health.data", Retention.UNTIL_ERASED)}
    )

    assert problems() == [
        "accounts.User.country: category 'health.data' is not in the policy's list"
    ]


def test_an_unknown_retention_rule_is_reported(monkeypatch):
    monkeypatch.setattr(User, "DATA_MAP", {**User.DATA_MAP, "email": (Category.NAME, "forever")})

    assert problems() == ["accounts.User.email: retention 'forever' is not a known rule"]


def test_personal_data_with_system_retention_is_reported(monkeypatch):
    monkeypatch.setattr(
        User, "DATA_MAP", {**User.DATA_MAP, "email": (Category.BUSINESS_EMAIL, Retention.SYSTEM)}
    )

    assert problems() == ["accounts.User.email: personal data cannot have the retention 'system'"]


def test_a_malformed_entry_is_reported(monkeypatch):
    monkeypatch.setattr(User, "DATA_MAP", {**User.DATA_MAP, "email": Category.BUSINESS_EMAIL})

    assert problems() == [
        "accounts.User.email: expected a (category, retention) pair, got Category.BUSINESS_EMAIL"
    ]


def test_a_stale_declaration_is_reported(monkeypatch):
    monkeypatch.setattr(
        User, "DATA_MAP", {**User.DATA_MAP, "nickname": (Category.NAME, Retention.UNTIL_ERASED)}
    )

    assert problems() == ["accounts.User.nickname: classified but no such field"]
    with pytest.raises(DataMapError, match="nickname"):
        inventory()


def test_a_stale_third_party_model_is_reported(monkeypatch):
    monkeypatch.setitem(THIRD_PARTY_DATA_MAP, "gone.Model", {"id": (Category.SYSTEM, "system")})

    assert problems() == ["gone.Model: classified in third_party.py but no such model is installed"]


def test_a_model_without_data_map_is_reported():
    with isolate_apps("grove.privacy"):
        model = type(
            "Unmapped",
            (models.Model,),
            {"__module__": __name__, "Meta": type("Meta", (), {"app_label": "privacy"})},
        )

        assert problems([model]) == [
            "privacy.Unmapped: no data map (declare DATA_MAP on the model)"
        ]


def test_manage_py_check_fails_with_privacy_e001_on_a_stale_declaration(monkeypatch):
    monkeypatch.setattr(
        User, "DATA_MAP", {**User.DATA_MAP, "nickname": (Category.NAME, Retention.UNTIL_ERASED)}
    )

    with pytest.raises(SystemCheckError) as raised:
        call_command("check")

    assert "privacy.E001" in str(raised.value)
    assert "accounts.User.nickname: classified but no such field" in str(raised.value)


def test_manage_py_check_passes_with_the_data_map_as_committed():
    call_command("check")  # raises SystemCheckError on any error
