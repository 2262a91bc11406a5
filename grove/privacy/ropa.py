"""The record of processing activities (GDPR Art. 30), from the same facts as the privacy policy.

Each client organization is the controller of its people's data (Art. 30(1)); the operator is
its processor and keeps the record of Art. 30(2). One record serves both: the processing
activities (purposes, data subjects, personal data, recipients, transfers and safeguards,
erasure time limits, security measures) come from ``policy.collect()``, and, per client, what
is actually held: its people and the number of rows of each table holding personal data.

``manage.py ropa --format markdown|csv`` writes it; counts are read inside each organization's
tenant scope, so row-level security applies to them as to any request.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.apps import apps
from django.db import transaction
from django.utils.text import capfirst

from grove.accounts.models import OrgRole, User
from grove.core.csv import csv_lines
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.managers import is_tenant_owned
from grove.tenancy.models import Organization

from .datamap import Category, FieldEntry, inventory
from .policy import ActivityFacts, PolicyFacts, SubprocessorFacts, category_label, collect

if TYPE_CHECKING:
    from django.db.models import Model

FORMATS = ("markdown", "csv")


class RopaError(Exception):
    """A record that cannot be produced as asked (unknown organization, unknown format)."""


@dataclass(frozen=True)
class TableCount:
    app_label: str
    model: str
    verbose_name: str
    rows: int


@dataclass(frozen=True)
class ClientRecord:
    """What is processed for one client (controller)."""

    slug: str
    name: str
    status: str
    contract_start: datetime.date
    contract_end: datetime.date
    data_region: str
    people: int
    active_people: int
    managers: int
    with_country: int
    with_job_type: int
    tables: tuple[TableCount, ...]
    # Personal data categories of the tables that hold at least one of its rows.
    category_labels: tuple[str, ...]

    def tables_of(self, app_label: str) -> tuple[TableCount, ...]:
        return tuple(t for t in self.tables if t.app_label == app_label)


@dataclass(frozen=True)
class Ropa:
    facts: PolicyFacts
    clients: tuple[ClientRecord, ...]


def _personal_tenant_models() -> list[type[Model]]:
    """Tenant-owned models with at least one personal field, in a stable order."""
    labels = sorted({e.model for e in inventory() if e.personal})
    found = []
    for label in labels:
        model = apps.get_model(label)
        if is_tenant_owned(model) and model is not Organization:
            found.append(model)
    return found


def _client(
    org: Organization, models: list[type[Model]], personal: list[FieldEntry]
) -> ClientRecord:
    with tenant_context(org), transaction.atomic():
        people = User.objects.filter(organization=org)
        tables = tuple(
            TableCount(
                app_label=model._meta.app_label,
                model=model._meta.label,
                verbose_name=capfirst(str(model._meta.verbose_name)),
                rows=model._default_manager.count(),
            )
            for model in models
        )
        held = {
            entry.category
            for entry in personal
            if entry.model in {t.model for t in tables if t.rows}
        }
        return ClientRecord(
            slug=org.slug,
            name=org.name,
            status=str(Organization.Status(org.status).label),
            contract_start=org.contract_start,
            contract_end=org.contract_end,
            data_region=org.data_region,
            people=people.count(),
            active_people=people.filter(is_active=True).count(),
            managers=people.filter(org_role=OrgRole.MANAGER).count(),
            with_country=people.exclude(country="").count(),
            with_job_type=people.exclude(job_type=None).count(),
            tables=tables,
            category_labels=tuple(category_label(c) for c in Category.values if c in held),
        )


def build(*, org_slug: str | None = None, today: datetime.date | None = None) -> Ropa:
    """The record as of now, for every client or the one whose slug is ``org_slug``."""
    with unscoped("ropa: the record lists every client organization"):
        organizations = list(Organization.objects.order_by("slug"))
    if org_slug is not None:
        organizations = [o for o in organizations if o.slug == org_slug]
        if not organizations:
            raise RopaError(f"no organization with the slug {org_slug!r}")
    models = _personal_tenant_models()
    personal = [e for e in inventory() if e.personal]
    return Ropa(
        facts=collect(today=today),
        clients=tuple(_client(org, models, personal) for org in organizations),
    )


# --- Shared wording of both formats ----------------------------------------------------------


def _transfers(recipients: tuple[SubprocessorFacts, ...]) -> str:
    parts = []
    for sub in recipients:
        where = "; ".join(sub.locations) or "-"
        safeguards = " ".join(sub.transfer_safeguards.split()) or "-"
        parts.append(f"{sub.name}: {where}. {safeguards}")
    return " | ".join(parts)


def _recipients(facts: PolicyFacts, activity: ActivityFacts) -> tuple[SubprocessorFacts, ...]:
    return tuple(s for s in facts.subprocessors if s.name in activity.recipients)


def _tables_text(tables: tuple[TableCount, ...]) -> str:
    return "; ".join(f"{t.verbose_name}: {t.rows}" for t in tables)


# --- Markdown ----------------------------------------------------------------------------------


def _md(text: str) -> str:
    """One table cell or list item: on one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def as_markdown(ropa: Ropa) -> str:
    facts = ropa.facts
    lines = [
        "# Record of processing activities",
        "",
        f"Generated on {facts.generated_on.isoformat()} by `manage.py ropa` from the data map, "
        "the subprocessor registry, the retention rules and the settings: the same sources as "
        "the privacy policy (/privacy). Do not edit by hand; generate it again.",
        "",
        "## Parties",
        "",
        f"- Processor (GDPR Art. 30(2)): {_md(facts.operator)}, {_md(facts.contact)}",
        "- Controllers (GDPR Art. 30(1)): each client organization, for its own people; "
        'see "Per client" below.',
        "- Controller for operator staff's own data (their accounts, second factor and "
        f"emergency access requests): {_md(facts.operator)}",
        f"- Data-subject requests: answered within {facts.dsr_deadline_months} month(s), "
        f"extendable by {facts.dsr_max_extension_months} month(s); form at "
        f"{facts.request_url}",
        "",
        "## Processing activities",
        "",
    ]
    for number, activity in enumerate(facts.activities, start=1):
        lines += [
            f"### {number}. {_md(activity.purpose)}",
            "",
            f"- Data subjects: {_md('; '.join(activity.data_subjects) or '-')}",
            f"- Personal data: {_md(', '.join(activity.category_labels))}",
            f"- Recipients (subprocessors): {_md(', '.join(activity.recipients) or '-')}",
            '- Transfers and safeguards: see "Recipients and transfers"',
            f"- Erasure time limits: {_md(' / '.join(activity.retentions))}",
            "",
        ]
    lines += [
        "## Recipients and transfers",
        "",
        "| Subprocessor | Service | Personal data | Locations | Transfer safeguards | DPA |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for sub in facts.subprocessors:
        lines.append(
            f"| {_md(sub.name)} | {_md(sub.service)} | {_md(', '.join(sub.category_labels))} "
            f"| {_md('; '.join(sub.locations))} | {_md(sub.transfer_safeguards)} "
            f"| {_md(sub.dpa_reference)} |"
        )
    if not facts.subprocessors:
        lines.append("| - | - | - | - | - | - |")
    lines += [
        "",
        "## Erasure time limits",
        "",
        "| Personal data | Time limit |",
        "| --- | --- |",
    ]
    for rule in facts.retention:
        lines.append(f"| {_md(', '.join(rule.category_labels))} | {_md(rule.description)} |")
    lines += [
        "",
        "## Storage",
        "",
        f"- Database: {_md(facts.storage.database)}",
        f"- Files: {_md(facts.storage.files)}",
        f"- Primary region: {_md(facts.storage.primary_region)}",
        f"- Replica region: {_md(facts.storage.replica_region)}",
        "",
        "## Security measures (GDPR Art. 32)",
        "",
    ]
    lines += [f"- {_md(measure)}" for measure in facts.security_measures]
    lines += ["", "## Per client", ""]
    if not ropa.clients:
        lines += ["No client organization.", ""]
    for client in ropa.clients:
        lines += [
            f"### {_md(client.name)} (`{client.slug}`)",
            "",
            f"- Status: {_md(client.status)}; contract {client.contract_start.isoformat()} to "
            f"{client.contract_end.isoformat()}",
            f"- Data region: {_md(client.data_region)}",
            f"- People: {client.people} (active: {client.active_people}, managers: "
            f"{client.managers}); with a country: {client.with_country}; with a job type: "
            f"{client.with_job_type}",
            f"- Personal data held: {_md(', '.join(client.category_labels) or '-')}",
            "",
            "| Processing activity | Table | Rows |",
            "| --- | --- | --- |",
        ]
        purposes = {a.app_label: a.purpose for a in facts.activities}
        for table in client.tables:
            purpose = purposes.get(table.app_label, table.app_label)
            lines.append(f"| {_md(purpose)} | {_md(table.verbose_name)} | {table.rows} |")
        lines.append("")
    return "\n".join(lines)


# --- CSV -------------------------------------------------------------------------------------

CSV_HEADER = (
    "controller",
    "controller_slug",
    "processor",
    "processor_contact",
    "activity",
    "purpose",
    "data_subjects",
    "personal_data",
    "recipients",
    "transfers_and_safeguards",
    "erasure_time_limits",
    "security_measures",
    "people",
    "records_held",
)


def csv_rows(ropa: Ropa) -> list[tuple]:
    """One row per client and processing activity (one set without a client when there is
    none), for a spreadsheet."""
    facts = ropa.facts
    security = " | ".join(facts.security_measures)
    clients: tuple[ClientRecord | None, ...] = ropa.clients or (None,)
    rows: list[tuple] = [CSV_HEADER]
    for client in clients:
        for activity in facts.activities:
            rows.append(
                (
                    client.name if client else "",
                    client.slug if client else "",
                    facts.operator,
                    facts.contact,
                    activity.app_label,
                    activity.purpose,
                    "; ".join(activity.data_subjects),
                    ", ".join(activity.category_labels),
                    ", ".join(activity.recipients),
                    _transfers(_recipients(facts, activity)),
                    " / ".join(activity.retentions),
                    security,
                    client.people if client else "",
                    _tables_text(client.tables_of(activity.app_label)) if client else "",
                )
            )
    return rows


def as_csv(ropa: Ropa) -> str:
    return "".join(csv_lines(csv_rows(ropa)))


def render(output_format: str, *, org_slug: str | None = None) -> str:
    if output_format not in FORMATS:
        raise RopaError(f"unknown format {output_format!r}: expected one of {', '.join(FORMATS)}")
    ropa = build(org_slug=org_slug)
    return as_markdown(ropa) if output_format == "markdown" else as_csv(ropa)
