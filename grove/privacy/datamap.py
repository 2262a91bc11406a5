"""Privacy as code: every field of every concrete model is classified here or next to its model.

A model declares ``DATA_MAP = {"field_name": (Category.X, Retention.Y), ...}``; third-party models
that hold data about people are classified in ``third_party.py``. Export, erasure and retention
read this map, so personal data is never listed twice. The system check ``privacy.E001`` (and the
tests) fail when a field is unclassified or carries a category outside the policy's list.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.apps import apps
from django.core import checks
from django.db import models


class Category(models.TextChoices):
    # Personal data the privacy policy allows, and nothing else.
    BUSINESS_EMAIL = "contact.business_email", "Business email"
    NAME = "identity.name", "First and last name"
    COUNTRY = "business.country", "Country"
    JOB_TYPE = "business.job_type", "Job type"
    FUNCTIONAL_LOG = "log.functional", "Functional logs"
    SESSION_COOKIE = "session.cookie", "Session cookie"
    # Not personal by themselves.
    PERSON_REFERENCE = "person.reference", "Link to a person"
    CONTENT = "content", "Client business content"
    CREDENTIAL = "security.credential", "Credential (hash)"
    # The account's own settings (interface language, digest frequency): needed to run the
    # service, personal only through the account they belong to, like a person reference.
    ACCOUNT_SETTING = "account.setting", "Account setting"
    SYSTEM = "system", "System data"


PERSONAL_CATEGORIES = frozenset(
    {
        Category.BUSINESS_EMAIL,
        Category.NAME,
        Category.COUNTRY,
        Category.JOB_TYPE,
        Category.FUNCTIONAL_LOG,
        Category.SESSION_COOKIE,
    }
)


class Retention(models.TextChoices):
    CONTRACT = "contract", "For the duration of the client's contract"
    CONTRACT_PLUS_90D = "contract+90d", "The contract, then 90 more days (logs)"
    UNTIL_ERASED = "until-erased", "Until the person's erasure or the contract's end"
    SYSTEM = "system", "System data without personal content"


_VALID_CATEGORIES = frozenset(Category.values)
_VALID_RETENTIONS = frozenset(Retention.values)


@dataclass(frozen=True)
class FieldEntry:
    model: str
    field: str
    category: str
    personal: bool
    retention: str

    def as_dict(self) -> dict:
        return asdict(self)


class DataMapError(Exception):
    pass


def _classified_fields(model: type[models.Model]) -> list[str]:
    """The names the data map must cover: the model's own columns and many-to-many relations.

    Fields inherited from an abstract base are the model's own; those of a concrete parent
    (multi-table inheritance) live in, and are classified with, the parent's table.
    """
    names = [f.name for f in model._meta.local_concrete_fields]
    names += [f.name for f in model._meta.local_many_to_many]
    return names


def declared_map(model: type[models.Model]) -> dict[str, tuple[str, str]] | None:
    own = model.__dict__.get("DATA_MAP")
    if own is not None:
        return own
    from .third_party import THIRD_PARTY_DATA_MAP

    return THIRD_PARTY_DATA_MAP.get(model._meta.label)


def mapped_models() -> list[type[models.Model]]:
    """Every concrete model, ours and third-party (auto-created M2M tables excluded)."""
    return [
        m
        for m in apps.get_models()
        if not m._meta.abstract and not m._meta.proxy and not m._meta.auto_created
    ]


def problems(models_to_check: list[type[models.Model]] | None = None) -> list[str]:
    """Every unclassified, stale or wrongly classified field, as readable sentences.

    With no argument, every installed model is checked, and so are the third-party entries
    (an entry for a model that is no longer installed is stale too).
    """
    found: list[str] = []
    checking_all = models_to_check is None
    for model in mapped_models() if models_to_check is None else models_to_check:
        found += _model_problems(model)
    if checking_all:
        from .third_party import THIRD_PARTY_DATA_MAP

        installed = {m._meta.label for m in mapped_models()}
        for label in sorted(set(THIRD_PARTY_DATA_MAP) - installed):
            found.append(f"{label}: classified in third_party.py but no such model is installed")
    return found


def _model_problems(model: type[models.Model]) -> list[str]:
    label = model._meta.label
    declared = declared_map(model)
    if declared is None:
        return [f"{label}: no data map (declare DATA_MAP on the model)"]
    if not isinstance(declared, dict):
        return [f"{label}: DATA_MAP must be a dict of field name to (category, retention)"]
    found: list[str] = []
    fields = _classified_fields(model)
    for name in fields:
        if name not in declared:
            found.append(f"{label}.{name}: unclassified field")
            continue
        entry = declared[name]
        if not (isinstance(entry, tuple | list) and len(entry) == 2):
            found.append(f"{label}.{name}: expected a (category, retention) pair, got {entry!r}")
            continue
        category, retention = entry
        if not isinstance(category, str) or category not in _VALID_CATEGORIES:
            found.append(f"{label}.{name}: category {category!r} is not in the policy's list")
        if not isinstance(retention, str) or retention not in _VALID_RETENTIONS:
            found.append(f"{label}.{name}: retention {retention!r} is not a known rule")
        elif category in PERSONAL_CATEGORIES and retention == Retention.SYSTEM:
            # "system" data is kept as long as the platform runs: never personal data.
            found.append(f"{label}.{name}: personal data cannot have the retention 'system'")
    for name in sorted(set(declared) - set(fields), key=str):
        found.append(f"{label}.{name}: classified but no such field")
    return found


def inventory() -> list[FieldEntry]:
    """The whole map, one entry per field, in a stable order. Raises if anything is unmapped."""
    issues = problems()
    if issues:
        raise DataMapError("; ".join(issues))
    entries = []
    for model in sorted(mapped_models(), key=lambda m: m._meta.label):
        declared = declared_map(model)
        assert declared is not None  # noqa: S101 -- problems() guarantees it
        for name in _classified_fields(model):
            category, retention = declared[name]
            entries.append(
                FieldEntry(
                    model=model._meta.label,
                    field=name,
                    category=str(category),
                    personal=category in PERSONAL_CATEGORIES,
                    retention=str(retention),
                )
            )
    return entries


def fields_in_categories(*categories: str) -> list[FieldEntry]:
    return [e for e in inventory() if e.category in categories]


@checks.register("privacy")
def check_data_map(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            problem,
            hint="Fix the model's DATA_MAP (or grove/privacy/third_party.py), "
            "then run `make datamap` to regenerate docs/datamap.md.",
            id="privacy.E001",
        )
        for problem in problems()
    ]


# Short aliases for the declarations next to each model.
SYSTEM = (Category.SYSTEM, Retention.SYSTEM)
