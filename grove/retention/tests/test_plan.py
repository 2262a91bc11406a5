"""The purge plan: every tenant-owned model covered, in dependency order, counts only."""

from django.contrib.auth import get_user_model
from django.db import models

from grove.audit.models import AuditEvent
from grove.privacy.datamap import Category, declared_map
from grove.retention import plan
from grove.retention.models import DeletionCertificate, PurgeKind

from .conftest import organization_counts, table_counts


def _deleted_models(steps) -> list:
    return [s.model for s in steps if s.kind in ("delete", "chain")]


def test_every_tenant_owned_model_is_deleted_at_some_date_or_is_the_tombstone():
    """A new model cannot be forgotten: it is purged with the data or the logs, or it is all
    system data and cascades from nothing (the tombstone)."""
    deleted = set(_deleted_models(plan.data_steps())) | set(_deleted_models(plan.log_steps()))
    for model in plan.tenant_models():
        if model in deleted:
            continue
        declared = declared_map(model)
        assert all(category == Category.SYSTEM for category, _r in declared.values()), model
        assert not [
            f
            for f in model._meta.local_concrete_fields
            if f.is_relation and f.remote_field.on_delete is models.CASCADE
        ], model
        assert plan.row_phase(model) == plan.TOMBSTONE
    assert plan.row_phase(DeletionCertificate) == plan.TOMBSTONE
    # Everything else goes with the logs at the latest.
    assert set(plan.tenant_models()) - deleted == {DeletionCertificate}


def test_all_system_models_follow_what_they_cascade_from():
    from grove.onboarding.models import ImportIssue
    from grove.practices.models import PracticeTag

    assert plan.row_phase(PracticeTag) == plan.DATA
    assert plan.row_phase(ImportIssue) == plan.DATA


def test_children_are_deleted_before_their_parents():
    for steps in (plan.data_steps(), plan.log_steps()):
        order = _deleted_models(steps)
        for position, model in enumerate(order):
            for f in model._meta.local_concrete_fields:
                target = f.related_model if f.is_relation else None
                if target in order and target is not model:
                    assert order.index(target) > position, (model, f.name)


def test_self_references_are_unlinked_before_the_delete():
    from grove.practices.models import Comment

    keys = [s.key for s in plan.data_steps()]
    assert keys.index("unlink:practices.Comment:parent:") < keys.index("delete:practices.Comment::")
    assert plan.row_phase(Comment) == plan.DATA


def test_users_are_anonymised_with_the_data_and_deleted_with_the_logs():
    user_model = get_user_model()
    assert user_model in plan.anonymised_first()
    data = plan.data_steps()
    kinds = [s.kind for s in data]
    assert kinds.index("notify") < kinds.index("anonymise")
    anonymise = next(s for s in data if s.kind == "anonymise")
    assert {"email", "first_name", "last_name", "password"} <= set(anonymise.fields)
    assert user_model not in _deleted_models(data)
    assert user_model in _deleted_models(plan.log_steps())
    assert plan.log_steps()[0].model is AuditEvent


def test_the_plan_counts_without_touching_anything(retention_world):
    org = retention_world.a.organization
    before = table_counts()
    result = plan.purge_plan(org, PurgeKind.ORGANIZATION_DATA)
    assert table_counts() == before
    by_key = {(s.kind, s.model): s.rows for s in result.steps}
    assert by_key[("delete", "practices.Practice")] == 3
    assert by_key[("anonymise", "accounts.User")] == 3
    assert by_key[("linked", "otp_totp.TOTPDevice")] == 1
    assert result.total_rows > 0
    assert organization_counts(org)["practices.Practice"] == 3
