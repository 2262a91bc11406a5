"""Everything Grove holds about one person, found through the data map (GDPR Art. 15 and 20).

No list of tables here. A model contributes a data set when its ``DATA_MAP`` classifies a field
as a link to a person (``person.reference``) and that field points at the user: a foreign key to
the user model, or a UUID column holding a user's id (the access log's ``actor_id`` and
``subject_user_id``). The user's own row is the first data set. A new model with such a field
shows up in the export by itself.

Each link is looked up on its own (``WHERE field = id``): every such column is indexed (foreign
keys by Django, the access log's columns explicitly), so the cost follows the person's rows, not
the size of the tables. ``bench/rights.py`` measures it at one million users and ten million
access-log events.

Every classified field of a row is exported, except:

- credentials (password hashes, token hashes, second-factor keys) and session cookies: they
  would let whoever holds the file act as the person, and say nothing about them;
- derived search indexes (``SearchVectorField``): a copy of the title, tags and body;
- in a row that belongs to someone else and names the person in a secondary role (a request
  they handled, an invitation they sent), the identity fields (email, names, country, job
  type): they are the other person's (Art. 15(4)).

Links to other people are replaced by ``"another-person"``: their ids are theirs. Uploaded media
(file fields classified as content) of rows the person owns, or of rows attached to those (the
attachments of their practices), are listed for the ZIP (grove/rights/export_zip.py).
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from dataclasses import dataclass, field
from typing import cast

from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from grove.privacy.datamap import PERSONAL_CATEGORIES, Category, declared_map, mapped_models
from grove.tenancy.context import unscoped

SCHEMA = "grove.personal-data-export"
SCHEMA_VERSION = "1.0"
ANOTHER_PERSON = "another-person"

# Never exported (see the module's docstring).
WITHHELD_CATEGORIES = frozenset({Category.CREDENTIAL, Category.SESSION_COOKIE})
# The fields that identify whoever a row belongs to: withheld when that is someone else.
IDENTITY_CATEGORIES = frozenset(
    {Category.BUSINESS_EMAIL, Category.NAME, Category.COUNTRY, Category.JOB_TYPE}
)


@dataclass(frozen=True)
class PersonLink:
    """A field that can point at a person: a foreign key to the user model or a user-id column."""

    model: type[models.Model]
    field: models.Field

    @property
    def column(self) -> str:
        return self.field.attname


@dataclass
class Dataset:
    model: type[models.Model]
    links: list[PersonLink]
    # The data set is attached to another one (media of the person's rows), by this foreign key.
    parent_field: models.ForeignKey | None = None
    rows: list[dict] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def name(self) -> str:
        return self.model._meta.label_lower.replace(".", "_")


def _category(model: type[models.Model], name: str) -> str:
    declared = declared_map(model) or {}
    entry = declared.get(name)
    return str(entry[0]) if entry else str(Category.SYSTEM)


def _is_user_id_column(model_field: models.Field) -> bool:
    return isinstance(model_field, models.UUIDField) and not model_field.primary_key


def person_links() -> dict[type[models.Model], list[PersonLink]]:
    """Every field the data map classifies as a link to a person that can hold a user's id,
    by model, in the model's field order (the first one is the row's owner)."""
    user_model = get_user_model()
    links: dict[type[models.Model], list[PersonLink]] = {}
    for model in mapped_models():
        for model_field in model._meta.local_concrete_fields:
            if _category(model, model_field.name) != Category.PERSON_REFERENCE:
                continue
            points_at_user = (
                model_field.is_relation and model_field.related_model is user_model
            ) or (not model_field.is_relation and _is_user_id_column(model_field))
            if points_at_user:
                links.setdefault(model, []).append(PersonLink(model, model_field))
    return links


def exported_fields(model: type[models.Model]) -> list[tuple[models.Field, str]]:
    """The model's classified fields that go into an export, with their category."""
    fields = []
    for model_field in [*model._meta.local_concrete_fields, *model._meta.local_many_to_many]:
        category = _category(model, model_field.name)
        if category in WITHHELD_CATEGORIES or isinstance(model_field, SearchVectorField):
            continue
        fields.append((model_field, category))
    return fields


def withheld_fields(model: type[models.Model]) -> list[dict]:
    withheld = []
    for model_field in [*model._meta.local_concrete_fields, *model._meta.local_many_to_many]:
        category = _category(model, model_field.name)
        if category in WITHHELD_CATEGORIES:
            withheld.append({"name": model_field.name, "reason": "credential"})
        elif isinstance(model_field, SearchVectorField):
            withheld.append({"name": model_field.name, "reason": "derived"})
    return withheld


def _media_fields(model: type[models.Model]) -> list[models.FileField]:
    return [
        f
        for f in model._meta.local_concrete_fields
        if isinstance(f, models.FileField) and _category(model, f.name) == Category.CONTENT
    ]


def plain(value):
    """A value as JSON has it: text for ids, times (ISO 8601, UTC offset), decimals, files."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    code = getattr(value, "code", None)  # django-countries' Country
    if isinstance(code, str):
        return code
    return str(value)


class _RowWriter:
    def __init__(self, subject, dataset: Dataset, owner: PersonLink | None):
        self.subject_id = subject.pk
        self.dataset = dataset
        self.owner = owner
        self.fields = exported_fields(dataset.model)
        self.person_columns = {link.column for link in person_links().get(dataset.model, [])}
        self.media = _media_fields(dataset.model)

    def row(self, obj, linked_by: list[str], media: list[dict]) -> dict:
        # Rows of a child data set (attachments) belong to the person's row they hang on.
        owned = self.owner is None or self.owner.field.name in linked_by
        values: dict = {}
        withheld: list[str] = []
        for model_field, category in self.fields:
            name = model_field.name
            if model_field.many_to_many:
                values[name] = sorted(str(related) for related in getattr(obj, name).all())
                continue
            if not owned and category in IDENTITY_CATEGORIES:
                values[name] = None
                withheld.append(name)
                continue
            if model_field.attname in self.person_columns:
                raw = getattr(obj, model_field.attname)
                if raw is None:
                    values[name] = None
                else:
                    values[name] = str(raw) if str(raw) == str(self.subject_id) else ANOTHER_PERSON
                continue
            if model_field.is_relation:
                if category in PERSONAL_CATEGORIES:
                    # The value is what the relation names (a job type's name), not its id.
                    related = getattr(obj, name)
                    values[name] = None if related is None else str(getattr(related, "name", ""))
                else:
                    values[name] = plain(getattr(obj, model_field.attname))
                continue
            value = getattr(obj, model_field.attname)
            if model_field in self.media and value:
                path = _media_path(self.dataset, obj, model_field, value.name)
                media.append(
                    {
                        "path": path,
                        "dataset": self.dataset.label,
                        "row_id": str(obj.pk),
                        "field": name,
                        "storage_name": value.name,
                    }
                )
                values[name] = path
                continue
            values[name] = plain(value)
        values["_linked_by"] = linked_by
        values["_withheld"] = withheld
        return values


def _media_path(dataset: Dataset, obj, model_field: models.Field, storage_name: str) -> str:
    extension = storage_name.rsplit(".", 1)[-1].lower() if "." in storage_name else "bin"
    return f"media/{dataset.name}/{obj.pk}-{model_field.name}.{extension}"


def _fetch(model: type[models.Model], column: str, values) -> list:
    """Rows whose ``column`` is one of ``values``, through its index (no ORDER BY: sorted here)."""
    queryset = model._default_manager.filter(**{f"{column}__in": list(values)}).order_by()
    prefetch = [f.name for f in model._meta.local_many_to_many]
    if prefetch:
        queryset = queryset.prefetch_related(*prefetch)
    return list(queryset)


def _sort_key(obj):
    pk = obj.pk
    return (0, pk, "") if isinstance(pk, int) else (1, 0, str(pk))


def collect(subject) -> tuple[list[Dataset], list[dict]]:
    """The person's data sets (the user row first, then by model label) and their media."""
    user_model = get_user_model()
    links = person_links()
    datasets: list[Dataset] = [Dataset(user_model, [])]
    datasets += [
        Dataset(model, model_links)
        for model, model_links in sorted(links.items(), key=lambda item: item[0]._meta.label)
        if model is not user_model
    ]
    media: list[dict] = []
    owned_pks: dict[type[models.Model], list] = {}
    with unscoped("personal data export: every row about one person, across the data map"):
        subject_row = user_model._default_manager.select_related("job_type").get(pk=subject.pk)
        writer = _RowWriter(subject, datasets[0], None)
        datasets[0].rows.append(writer.row(subject_row, ["id"], media))
        owned_pks[user_model] = [subject_row.pk]
        for dataset in datasets[1:]:
            found: dict = {}
            linked: dict = {}
            for link in dataset.links:
                for obj in _fetch(dataset.model, link.column, [subject.pk]):
                    found.setdefault(obj.pk, obj)
                    linked.setdefault(obj.pk, []).append(link.field.name)
            owner = dataset.links[0]
            writer = _RowWriter(subject, dataset, owner)
            for obj in sorted(found.values(), key=_sort_key):
                dataset.rows.append(writer.row(obj, linked[obj.pk], media))
            owned_pks[dataset.model] = [
                pk for pk, names in linked.items() if owner.field.name in names
            ]
        datasets += _media_datasets(subject, datasets, owned_pks, media)
    return datasets, media


def _media_datasets(subject, datasets, owned_pks, media) -> list[Dataset]:
    """Rows carrying uploaded media attached to rows the person owns (their practices'
    attachments): models with a content file field and a foreign key to an owned model."""
    already = {dataset.model for dataset in datasets}
    extra: list[Dataset] = []
    for model in sorted(mapped_models(), key=lambda m: m._meta.label):
        if model in already or not _media_fields(model):
            continue
        for model_field in model._meta.local_concrete_fields:
            parent = model_field.related_model if model_field.many_to_one else None
            if parent is None or not owned_pks.get(parent):
                continue
            # many_to_one: a foreign key.
            dataset = Dataset(model, [], parent_field=cast(models.ForeignKey, model_field))
            writer = _RowWriter(subject, dataset, None)
            for obj in sorted(_fetch(model, model_field.attname, owned_pks[parent]), key=_sort_key):
                dataset.rows.append(writer.row(obj, [model_field.name], media))
            extra.append(dataset)
            break
    return extra


def _describe(dataset: Dataset) -> dict:
    model = dataset.model
    return {
        "name": dataset.name,
        "model": dataset.label,
        "title": str(model._meta.verbose_name_plural),
        "linked_by": (
            [link.field.name for link in dataset.links]
            if dataset.parent_field is None
            else [dataset.parent_field.name]
        ),
        "attached_to": (
            dataset.parent_field.related_model._meta.label if dataset.parent_field else None
        ),
        "fields": [
            {
                "name": model_field.name,
                "label": str(model_field.verbose_name),
                "category": category,
                "personal": category in PERSONAL_CATEGORIES,
            }
            for model_field, category in exported_fields(model)
        ],
        "withheld_fields": withheld_fields(model),
        "row_count": len(dataset.rows),
        "rows": dataset.rows,
    }


def personal_data(subject) -> dict:
    """Everything about ``subject``, as the export's ``data.json`` holds it (docs/export-format.md).

    Data-map driven: the user row, then every model with a person-reference field pointing at
    them, then the media attached to their rows. Reads across tenants (``unscoped``): the caller
    has checked who may export whom.
    """
    datasets, media = collect(subject)
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "generated_at": timezone.now().isoformat(),
        "subject": {
            "id": str(subject.pk),
            "organization_id": plain(subject.organization_id),
        },
        "datasets": [_describe(dataset) for dataset in datasets],
        "media": [
            {key: value for key, value in item.items() if key != "storage_name"} for item in media
        ],
        "_media_storage": {item["path"]: item["storage_name"] for item in media},
    }
