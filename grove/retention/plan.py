"""What an organization's purges do, read from the data map and the schema: no table list.

Row retention of a model is the longest retention among its fields (SYSTEM < CONTRACT =
UNTIL_ERASED < CONTRACT_PLUS_90D). A tenant-owned model whose fields are all SYSTEM follows the
model it CASCADEs from (a practice's tag links follow the practice); when it cascades from none
it is part of the tombstone and kept (the deletion certificates). A model due at the data purge
that a longer-kept model points at through a non-nullable key (the user row, pointed at by the
data-subject requests) is anonymised at the data purge and deleted with the logs.

The steps of a purge, in order (see ``data_steps`` and ``log_steps``):

- ``unlink``: a nullable key pointing at rows about to be deleted is set to NULL first (the
  job type of the anonymised users, a comment's parent: a self-reference);
- ``delete``: the organization's rows of a model, children before parents, files first;
- ``clear``: in rows kept longer, every field kept "for the contract" or "until erased" blanked;
- ``linked``: rows outside the tenant tables that exist only for the organization's users
  (CASCADE keys to the user: second-factor devices), and their database sessions (``sessions``);
- ``notify``: the certificate so far mailed to the managers, before their accounts go;
- ``anonymise``: the rows kept longer because of the above (the users);
- ``chain``: the organization's access-log chain, through ``grove.audit.chain.purge_chain``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import cast

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import models

from grove.privacy.datamap import Category, Retention, declared_map, mapped_models
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

from .models import PurgeKind

RANK: dict[str, int] = {
    Retention.SYSTEM: 0,
    Retention.CONTRACT: 1,
    Retention.UNTIL_ERASED: 1,
    Retention.CONTRACT_PLUS_90D: 2,
}
# Where a model's rows go: with the data (contract end + grace), with the logs, or nowhere.
DATA, LOGS, TOMBSTONE = "data", "logs", "tombstone"
# Retentions whose fields the data purge empties in rows kept longer.
DATA_RETENTIONS = frozenset({Retention.CONTRACT, Retention.UNTIL_ERASED})


class Action:
    DELETED = "deleted"
    ANONYMISED = "anonymised"
    CLEARED = "fields cleared"


# --- Reading the data map ----------------------------------------------------------------------


def label(model) -> str:
    return model._meta.label


def is_tenant_owned(model) -> bool:
    return any(
        f.name == "organization" and f.is_relation and f.related_model is Organization
        for f in model._meta.local_concrete_fields
    )


def tenant_models() -> list[type[models.Model]]:
    return sorted((m for m in mapped_models() if is_tenant_owned(m)), key=label)


def _audit_event_model():
    from grove.audit.models import AuditEvent

    return AuditEvent


def _own_rank(model) -> int:
    declared = declared_map(model) or {}
    return max((RANK[retention] for _category, retention in declared.values()), default=0)


def _cascade_parents(model) -> list:
    return [
        f.related_model
        for f in model._meta.local_concrete_fields
        if f.is_relation
        and f.related_model is not model
        and f.remote_field.on_delete is models.CASCADE
    ]


@cache
def _phases() -> dict:
    """Model -> DATA / LOGS / TOMBSTONE for every tenant-owned model."""
    phases: dict = {}

    def phase_of(model, seen=()) -> str:
        if model in phases:
            return phases[model]
        rank = _own_rank(model)
        if rank == 0:
            parents = [p for p in _cascade_parents(model) if is_tenant_owned(p) and p not in seen]
            found = [phase_of(p, (*seen, model)) for p in parents]
            # Deleted with the first parent to go.
            if DATA in found:
                result = DATA
            elif LOGS in found:
                result = LOGS
            else:
                result = TOMBSTONE
        else:
            result = DATA if rank == 1 else LOGS
        phases[model] = result
        return result

    for model in tenant_models():
        phase_of(model)
    return phases


def row_phase(model) -> str:
    """DATA, LOGS or TOMBSTONE: when the organization's rows of ``model`` are deleted."""
    return _phases()[model]


@cache
def anonymised_first() -> frozenset:
    """Models due at the data purge that a longer-kept model points at through a non-nullable
    key: anonymised at the data purge, deleted with the logs."""
    phases = _phases()
    found = set()
    for model, phase in phases.items():
        if phase != LOGS:
            continue
        for f in model._meta.local_concrete_fields:
            target = f.related_model if f.is_relation else None
            if target is not None and not f.null and phases.get(target) == DATA:
                found.add(target)
    return frozenset(found)


def categories_of(model, fields=None) -> list[str]:
    """The data-map categories of ``model``'s fields (all, or only ``fields``)."""
    declared = declared_map(model) or {}
    found = {
        str(category)
        for name, (category, _r) in declared.items()
        if (fields is None or name in fields) and category != Category.SYSTEM
    }
    return sorted(found) or [str(Category.SYSTEM)]


def data_fields(model) -> list[str]:
    """Concrete fields of ``model`` kept only "for the contract" or "until erased"."""
    declared = declared_map(model) or {}
    concrete = {f.name for f in model._meta.local_concrete_fields}
    return [
        name
        for name, (_c, retention) in declared.items()
        if retention in DATA_RETENTIONS and name in concrete
    ]


def _dependency_order(chosen: list) -> list:
    """``chosen`` models, each before every model it points at (children before parents)."""
    chosen_set = set(chosen)
    pending = {
        m: {
            f.related_model
            for f in m._meta.local_concrete_fields
            if f.is_relation and f.related_model in chosen_set and f.related_model is not m
        }
        for m in chosen
    }
    # A model goes once nothing still pending points at it.
    order = []
    while pending:
        ready = sorted(
            (m for m in pending if not any(m in targets for targets in pending.values())),
            key=label,
        )
        if not ready:  # a cycle: break it deterministically (keys are nulled first anyway)
            ready = [sorted(pending, key=label)[0]]
        for m in ready:
            order.append(m)
            del pending[m]
    return order


# --- Steps -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    kind: str  # unlink | delete | clear | linked | sessions | notify | anonymise | chain
    model: type[models.Model] | None = None
    fields: tuple[str, ...] = ()
    # linked: the ORM path from the model to the user's organization id.
    path: str = ""

    @property
    def rows_model(self) -> type[models.Model]:
        """``model`` of a step that works on rows: every kind but notify has one."""
        return cast("type[models.Model]", self.model)

    @property
    def key(self) -> str:
        name = label(self.model) if self.model is not None else ""
        return f"{self.kind}:{name}:{','.join(self.fields)}:{self.path}"

    @property
    def action(self) -> str | None:
        """The certificate's action, or None for a preparatory step."""
        return {
            "delete": Action.DELETED,
            "linked": Action.DELETED,
            "sessions": Action.DELETED,
            "chain": Action.DELETED,
            "clear": Action.CLEARED,
            "anonymise": Action.ANONYMISED,
        }.get(self.kind)

    @property
    def categories(self) -> list[str]:
        if self.model is None:
            return []
        if self.kind in ("clear", "anonymise"):
            return categories_of(self.model, self.fields)
        return categories_of(self.model)


def _unlinks_before_deleting(target, deleted_before: set, rows_models: list) -> list[Step]:
    """Nullable keys of rows that stay (or go later) pointing at ``target``: set to NULL."""
    steps = []
    for model in rows_models:
        if model in deleted_before:
            continue
        for f in model._meta.local_concrete_fields:
            if f.is_relation and f.related_model is target and f.null:
                steps.append(Step("unlink", model, (f.name,)))
    return steps


@cache
def _linked_models() -> list[tuple[type[models.Model], str]]:
    """Non-tenant models whose rows exist only for a user (a CASCADE key to the user, maybe
    through another such model): (model, path to the user's organization id)."""
    user_model = get_user_model()
    paths: dict = {}
    changed = True
    while changed:
        changed = False
        for model in mapped_models():
            if is_tenant_owned(model) or model in paths:
                continue
            for f in model._meta.local_concrete_fields:
                # remote_field is set exactly when is_relation is (Field.__init__).
                if not (f.remote_field is not None and f.remote_field.on_delete is models.CASCADE):
                    continue
                if f.related_model is user_model:
                    paths[model] = f"{f.name}__organization_id"
                elif f.related_model in paths:
                    paths[model] = f"{f.name}__{paths[f.related_model]}"
                else:
                    continue
                changed = True
                break
    # Children first: a path's length orders them (a token before its device).
    return sorted(paths.items(), key=lambda item: (-item[1].count("__"), label(item[0])))


def _linked_steps() -> list[Step]:
    steps = [Step("linked", model, (), path) for model, path in _linked_models()]
    steps.append(Step("sessions", Session))
    return steps


def data_steps() -> list[Step]:
    """The organization data purge, in order."""
    phases = _phases()
    tenant = tenant_models()
    anonymised = anonymised_first()
    to_delete = [m for m in tenant if phases[m] == DATA and m not in anonymised]
    steps: list[Step] = []
    deleted_before: set = set()
    for model in _dependency_order(to_delete):
        steps += _unlinks_before_deleting(model, deleted_before, tenant)
        steps.append(Step("delete", model))
        deleted_before.add(model)
    for model in tenant:
        if phases[model] == LOGS and model is not _audit_event_model():
            names = _clearable(model)
            if names:
                steps.append(Step("clear", model, tuple(names)))
    steps += _linked_steps()
    steps.append(Step("notify"))
    for model in sorted(anonymised, key=label):
        steps.append(Step("anonymise", model, tuple(_clearable(model))))
    return steps


def _clearable(model) -> list[str]:
    """Data fields of a kept row that can be blanked (keys to the user stay: the row keeps
    pointing at the anonymised person; non-nullable keys cannot be blanked)."""
    user_model = get_user_model()
    names = []
    for name in data_fields(model):
        f = model._meta.get_field(name)
        if f.is_relation and (f.related_model is user_model and not f.null):
            continue
        if f.is_relation and not f.null:
            continue
        names.append(name)
    return names


def log_steps() -> list[Step]:
    """The organization log purge, in order: the access-log chain, then every remaining
    tenant-owned row but the tombstone's."""
    phases = _phases()
    tenant = tenant_models()
    audit_event = _audit_event_model()
    steps: list[Step] = [Step("chain", audit_event)]
    to_delete = [m for m in tenant if phases[m] in (DATA, LOGS) and m is not audit_event]
    deleted_before: set = {audit_event}
    user_model = get_user_model()
    for model in _dependency_order(to_delete):
        if model is user_model:
            steps += _linked_steps()
        steps += _unlinks_before_deleting(model, deleted_before, tenant)
        steps.append(Step("delete", model))
        deleted_before.add(model)
    return steps


def steps_for(kind: str) -> list[Step]:
    if kind == PurgeKind.ORGANIZATION_DATA:
        return data_steps()
    if kind == PurgeKind.ORGANIZATION_LOGS:
        return log_steps()
    raise ValueError(f"no organization plan for purge kind {kind!r}")


# --- Rows of a step ----------------------------------------------------------------------------


def step_rows(step: Step, organization) -> models.QuerySet | None:
    """The organization's rows a step works on (None for the notify, sessions and chain)."""
    org_id = getattr(organization, "pk", organization)
    model = step.rows_model
    if step.kind in ("delete", "clear", "anonymise"):
        return model._base_manager.filter(organization_id=org_id)
    if step.kind == "unlink":
        return model._base_manager.filter(
            organization_id=org_id, **{f"{step.fields[0]}__isnull": False}
        )
    if step.kind == "linked":
        return model._base_manager.filter(**{step.path: org_id})
    return None


def rows_of(step: Step, organization) -> models.QuerySet:
    """``step_rows`` of a step that has rows (delete, clear, anonymise, unlink, linked)."""
    return cast(models.QuerySet, step_rows(step, organization))


def sessions_of_organization(organization) -> list[str]:
    """Keys of the database sessions logged in as one of the organization's users (decoded,
    as the erasure does: the session data holds the user id)."""
    org_id = getattr(organization, "pk", organization)
    user_ids = {
        str(pk)
        for pk in get_user_model()
        ._base_manager.filter(organization_id=org_id)
        .values_list("pk", flat=True)
    }
    if not user_ids:
        return []
    keys = []
    for key, data in Session.objects.values_list("session_key", "session_data").iterator(
        chunk_size=2000
    ):
        decoded = Session(session_key=key, session_data=data).get_decoded()
        if str(decoded.get("_auth_user_id", "")) in user_ids:
            keys.append(key)
    return keys


def estimated_rows(step: Step, organization) -> int:
    if step.kind == "notify":
        return 0
    if step.kind == "sessions":
        return len(sessions_of_organization(organization))
    if step.kind == "chain":
        org_id = getattr(organization, "pk", organization)
        return step.rows_model._base_manager.filter(chain_key=org_id).count()
    return rows_of(step, organization).count()


# --- The plan, for staff and --dry-run ---------------------------------------------------------


@dataclass
class PlannedStep:
    kind: str
    model: str
    action: str | None
    fields: list[str]
    categories: list[str]
    rows: int


@dataclass
class PurgePlan:
    organization_id: object
    kind: str
    steps: list[PlannedStep] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(s.rows for s in self.steps if s.action)


def purge_plan(organization, kind: str) -> PurgePlan:
    """What a purge of ``kind`` would do to ``organization`` now: steps with row estimates.
    Reads only."""
    plan = PurgePlan(organization_id=organization.pk, kind=kind)
    with unscoped("retention: planning an organization's purge"):
        for step in steps_for(kind):
            plan.steps.append(
                PlannedStep(
                    kind=step.kind,
                    model=label(step.model) if step.model is not None else "",
                    action=step.action,
                    fields=list(step.fields),
                    categories=step.categories,
                    rows=estimated_rows(step, organization),
                )
            )
    return plan


def dry_run_counts(organization, kind: str) -> list[dict]:
    """Rows a purge would delete, anonymise or clear, per model and action (touches nothing):
    [{"model", "category", "categories", "action", "rows"}], rows > 0 only."""
    counts: dict[tuple[str, str], dict] = {}
    for step in purge_plan(organization, kind).steps:
        if not step.action or not step.rows:
            continue
        entry = counts.setdefault(
            (step.model, step.action),
            {
                "model": step.model,
                "category": ", ".join(step.categories),
                "categories": step.categories,
                "action": step.action,
                "rows": 0,
            },
        )
        entry["rows"] += step.rows
    return sorted(counts.values(), key=lambda e: (e["model"], e["action"]))
