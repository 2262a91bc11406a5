"""The client's user list: reading it (CSV or XLSX, streamed), mapping its columns, and the
validation and write passes behind ``import_preview`` and ``import_commit`` (actions.py).

Minimisation: only the five allowed columns are ever read past the header. Any other column is
named in ``UserImport.dropped_columns`` (its header only) and its values are skipped as the rows
stream by: never stored, logged, put in a task's arguments or an audit event. The normalised
file kept between preview and commit holds the five columns only.

Memory stays flat whatever the file's size: rows stream from the upload (never read whole), are
handled in batches of ``BATCH_SIZE``, and only the set of the list's emails is kept (duplicates,
full sync). New users are written by PostgreSQL ``COPY`` into a temporary table, then one
``INSERT … SELECT … ON CONFLICT (email) DO NOTHING`` per batch into accounts_user under the
tenant's row-level security (``COPY FROM`` itself is refused on a table with RLS enabled): a line
the preview found new is not looked up again, the insert finds an account created since;
``bulk_create`` on SQLite. Changes are written with ``bulk_update`` per batch.

The commit's per-line Python is kept small (``Validator.commit_batches``): a line the preview
found new whose cleaned values still have their shape goes straight from the normalised file's
cells to its COPY text, with no object made for it; every other line is a ``Row``, cleaned again
when needed. The next batch is read and checked in a thread while this one is written (the
write waits on PostgreSQL); the thread never touches the database.

Full sync deactivates the organization's active *members* absent from the list, never managers
(a manager left out of a list by mistake could not undo it: a manager is deactivated by hand)
and never deletes anyone; a line with an error still counts as present.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import io
import itertools
import secrets
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import cast

from django.core.files import File
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_countries.data import COUNTRIES

from grove.accounts.models import OrgRole, User
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import Organization

from .models import ImportIssue, UserImport
from .provisioning import (
    EMAIL_MAX_LENGTH,
    JOB_TYPE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    UNUSABLE_PASSWORD_PREFIX,
    PersonCleaner,
    PersonRecord,
    RecordError,
    _fold_tight,
    normalise_email,
    record_error,
    send_invitations,
    unusable_password,
)

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 500_000
BATCH_SIZE = 10_000  # lines; each batch costs a dozen round trips to the database
AUDIT_IDS_PER_EVENT = 5000  # at most this many ids per audit event (a batch may need two)

COLUMNS = ("email", "first_name", "last_name", "country", "job_type")
REQUIRED_COLUMNS = ("email", "first_name", "last_name")
COLUMN_LABELS = {
    "email": _("email"),
    "first_name": _("first name"),
    "last_name": _("last name"),
    "country": _("country"),
    "job_type": _("job type"),
}
# Header names accepted for each column, English and French (folded: case, accents, spaces,
# underscores and hyphens ignored).
HEADER_NAMES = {
    "email": (
        "email",
        "e-mail",
        "mail",
        "email address",
        "e-mail address",
        "business email",
        "work email",
        "courriel",
        "adresse e-mail",
        "adresse email",
        "adresse mail",
        "adresse courriel",
        "mel",
    ),
    "first_name": ("first name", "firstname", "given name", "prénom", "prenom"),
    "last_name": (
        "last name",
        "lastname",
        "surname",
        "family name",
        "nom",
        "nom de famille",
        "nom d'usage",
    ),
    "country": ("country", "country code", "pays", "code pays"),
    "job_type": ("job type", "job", "job title", "métier", "fonction", "type de métier", "poste"),
}
HEADER_INDEX = {
    _fold_tight(name): column for column, names in HEADER_NAMES.items() for name in names
}

# The normalised file: the line number, the preview's outcome, the five columns.
NORMALISED_HEADER = ("line", "outcome", *COLUMNS)

MESSAGES = {
    "too_big": _("The file is larger than %(max_mb)s MB."),
    "too_many_rows": _("The file has more than %(max_rows)s rows."),
    "unsupported_format": _("Unsupported file: send a CSV file or an Excel workbook (.xlsx)."),
    "unreadable": _("The file could not be read as CSV or XLSX."),
    "empty": _("The file has no header line."),
    "missing_column": _("Required column(s) missing: %(columns)s."),
    "duplicate_column": _("Column given twice: %(columns)s."),
    "malformed": _("Malformed line (wrong number of fields or broken quoting)."),
    "undecodable": _("This line contains bytes that are not text."),
}


class ImportRefused(Exception):
    """The whole file is refused (too big, unreadable, a required column missing...)."""

    def __init__(self, code: str, **params) -> None:
        self.code = code
        self.params = params
        super().__init__(code)  # the code only: exception texts reach logs

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code]) % self.params if self.params else str(MESSAGES[self.code])


@dataclass(frozen=True)
class ImportOptions:
    create_missing_job_types: bool = False
    full_sync: bool = False
    max_bytes: int = MAX_FILE_BYTES
    max_rows: int = MAX_ROWS


# --- Reading ------------------------------------------------------------------------------


@dataclass
class Table:
    """An opened list: its format, hash, column mapping and a stream of its rows."""

    file_format: str
    sha256: str
    dropped_columns: list[str]
    rows: Iterator[tuple[int, dict[str, str] | None, str]]  # (line, values, issue code)
    # The allowed columns the list has: an absent country or job type column leaves those
    # attributes as they are (an empty cell in a present column clears them).
    columns: frozenset = frozenset(COLUMNS)


def _file_size(fileobj) -> int:
    size = getattr(fileobj, "size", None)
    if size is not None:
        return size
    position = fileobj.tell()
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(position)
    return size


def _scan(fileobj) -> tuple[str, bytes, int, int]:
    """One streamed pass: the SHA-256, the first bytes, and how the bytes read as UTF-8
    (non-ASCII characters decoded, bytes that are not UTF-8)."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    head = b""
    good = bad = 0
    fileobj.seek(0)
    while chunk := fileobj.read(1024 * 1024):
        digest.update(chunk)
        if len(head) < 8:
            head += chunk[:8]
        text = decoder.decode(chunk)
        if not text.isascii():
            for char in text:
                if "\udc80" <= char <= "\udcff":
                    bad += 1
                elif char > "\x7f":
                    good += 1
    fileobj.seek(0)
    return digest.hexdigest(), head, good, bad


def open_table(fileobj, *, max_bytes: int = MAX_FILE_BYTES, max_rows: int = MAX_ROWS) -> Table:
    """Open an uploaded list (a binary file object) without reading it whole.

    Raises ImportRefused for a file too big, not CSV/XLSX, or without the required columns.
    The rows are checked lazily: a malformed line is an issue on its line, and more than
    ``max_rows`` rows raises ImportRefused while iterating.
    """
    if _file_size(fileobj) > max_bytes:
        raise ImportRefused("too_big", max_mb=max_bytes // (1024 * 1024))
    sha256, head, good, bad = _scan(fileobj)
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(fileobj, sha256, max_rows)
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # the old binary .xls
        raise ImportRefused("unsupported_format")
    # Strict UTF-8 (or with a few stray bytes among real UTF-8 text), else Windows-1252: a
    # Latin-1 list with accents is never valid UTF-8.
    encoding = "utf-8" if bad == 0 or good > bad else "cp1252"
    return _open_csv(fileobj, sha256, encoding, max_rows)


def _decoded_lines(fileobj, encoding: str) -> Iterator[str]:
    first = True
    for raw in File(fileobj):  # Django's File: lines in chunks, \n, \r\n or \r
        line = raw.decode(encoding, errors="surrogateescape")
        if first:
            line = line.removeprefix("\ufeff")
            first = False
        yield line


def _sniff_delimiter(header_line: str) -> str:
    try:
        return csv.Sniffer().sniff(header_line, delimiters=",;").delimiter
    except csv.Error:
        return ";" if header_line.count(";") > header_line.count(",") else ","


def _map_headers(headers: list[str]) -> tuple[dict[str, int], list[str]]:
    positions: dict[str, int] = {}
    dropped: list[str] = []
    twice: set[str] = set()
    for position, header in enumerate(headers):
        column = HEADER_INDEX.get(_fold_tight(header or ""))
        if column is None:
            name = " ".join(str(header or "").split())[:100]
            # A blank header names its position; a header that is not text is not repeated.
            if not name or any("\udc80" <= c <= "\udcff" for c in name):
                name = f"#{position + 1}"
            dropped.append(name)
        elif column in positions:
            twice.add(column)
        else:
            positions[column] = position
    if twice:
        raise ImportRefused(
            "duplicate_column", columns=", ".join(str(COLUMN_LABELS[c]) for c in sorted(twice))
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        raise ImportRefused(
            "missing_column", columns=", ".join(str(COLUMN_LABELS[c]) for c in missing)
        )
    return positions, dropped


def _open_csv(fileobj, sha256: str, encoding: str, max_rows: int) -> Table:
    lines = _decoded_lines(fileobj, encoding)
    header_line = next((line for line in lines if line.strip()), None)
    if header_line is None:
        raise ImportRefused("empty")
    delimiter = _sniff_delimiter(header_line)
    headers = next(csv.reader([header_line], delimiter=delimiter), [])
    positions, dropped = _map_headers(headers)

    def rows() -> Iterator[tuple[int, dict[str, str] | None, str]]:
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        line = 1
        count = 0
        while True:
            line += 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error:
                count += 1
                if count > max_rows:
                    raise ImportRefused("too_many_rows", max_rows=max_rows) from None
                yield line, None, "malformed"
                continue
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            count += 1
            if count > max_rows:
                raise ImportRefused("too_many_rows", max_rows=max_rows)
            if len(cells) < len(headers) or any(c.strip() for c in cells[len(headers) :]):
                yield line, None, "malformed"
                continue
            values = {column: cells[position] for column, position in positions.items()}
            if any(_undecodable(value) for value in values.values()):
                yield line, None, "undecodable"
                continue
            yield line, values, ""

    return Table(
        file_format="csv",
        sha256=sha256,
        dropped_columns=dropped,
        rows=rows(),
        columns=frozenset(positions),
    )


def _undecodable(value: str) -> bool:
    return not value.isascii() and any("\udc80" <= c <= "\udcff" for c in value)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


def _open_xlsx(fileobj, sha256: str, max_rows: int) -> Table:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(fileobj, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        cells = sheet.iter_rows(values_only=True)
        header_row = next((row for row in cells if any(v not in (None, "") for v in row)), None)
    except ImportRefused:
        raise
    except Exception:  # a broken or hostile workbook: openpyxl raises many kinds
        raise ImportRefused("unreadable") from None
    if header_row is None:
        workbook.close()
        raise ImportRefused("empty")
    headers = [_cell_text(value).strip() for value in header_row]
    positions, dropped = _map_headers(headers)

    def rows() -> Iterator[tuple[int, dict[str, str] | None, str]]:
        line = 1
        count = 0
        try:
            for row in cells:
                line += 1
                values = {
                    column: _cell_text(row[position]) if position < len(row) else ""
                    for column, position in positions.items()
                }
                if not any(value.strip() for value in values.values()):
                    continue
                count += 1
                if count > max_rows:
                    raise ImportRefused("too_many_rows", max_rows=max_rows)
                yield line, values, ""
        finally:
            workbook.close()

    return Table(
        file_format="xlsx",
        sha256=sha256,
        dropped_columns=dropped,
        rows=rows(),
        columns=frozenset(positions),
    )


# --- Validation ---------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the list after validation and comparison with the accounts."""

    line: int
    values: dict[str, str]  # the five columns as given (stripped); empty for a broken line
    record: PersonRecord | None = None
    errors: list[RecordError] = field(default_factory=list)
    outcome: str = ""  # "create", "update", "unchanged", "error"
    existing: dict | None = None  # the account's current values (update, unchanged)
    changes: dict = field(default_factory=dict)  # {attname: new value}
    reactivate: bool = False
    previewed: str = ""  # the preview's outcome, when read back from the normalised file

    @property
    def valid_record(self) -> PersonRecord:
        """``record``, for a line known valid (outcome create, update or unchanged)."""
        return cast(PersonRecord, self.record)

    @property
    def account(self) -> dict:
        """``existing``, for a line compared with an account (outcome update or unchanged)."""
        return cast(dict, self.existing)


class Validator:
    """Validates the rows of one list for one organization, batch after batch."""

    def __init__(
        self,
        organization: Organization,
        *,
        create_missing_job_types: bool,
        managed: frozenset = frozenset(COLUMNS),
    ) -> None:
        self.organization = organization
        self.managed = managed  # the columns the list has
        self.create_missing_job_types = create_missing_job_types
        self.cleaner = PersonCleaner(
            organization, create_missing_job_types=create_missing_job_types
        )
        self.emails: set[str] = set()  # every email of the list (duplicates, full sync)
        # Lines the preview found new are taken as new without a look-up: the insert itself
        # finds any account created since (ON CONFLICT), then those lines are looked up.
        self.optimistic = False
        self.staging_ready = False  # the commit's temporary table exists (_copy_users)
        # The organization's job types by exact name (as the preview wrote them) -> the text
        # of their id in COPY's format ("" -> none): the commit's fast path.
        self.job_ids: dict[str, str] = {}
        self.refresh_job_ids()

    def refresh_job_ids(self) -> None:
        """Take in job types created since (a batch may create missing ones)."""
        self.job_ids = {
            **{job.name: str(job.pk) for job in self.cleaner.job_types.values()},
            "": COPY_NULL,
        }

    def batches(
        self, rows: Iterable[tuple[int, dict[str, str] | None, str]]
    ) -> Iterator[list[Row]]:
        iterator = iter(rows)
        while batch := list(itertools.islice(iterator, BATCH_SIZE)):
            yield self._resolve([self._clean(*row) for row in batch])

    def _clean(
        self,
        line: int,
        values: dict[str, str] | None,
        issue: str,
        checked: bool = False,
        previewed: str = "",
    ) -> Row:
        if values is None:
            return Row(line=line, values={}, errors=[record_error("", issue)], outcome="error")
        record: PersonRecord | None
        errors: list[RecordError]
        if checked and _already_clean(values) and self._job_type_known(values["job_type"]):
            # Cleaned by the preview (normalised file): the same checks would give the same
            # answer; what depends on the database is checked again by _resolve (and a job
            # type deleted since the preview, above: the line is cleaned again, an error).
            record, errors = PersonRecord(**values), []
        else:
            values = {column: (values.get(column) or "").strip() for column in COLUMNS}
            record, errors = self.cleaner.clean(**values)
        email = record.email if record is not None else normalise_email(values["email"])
        if email:
            if email in self.emails:
                errors = [*errors, record_error("email", "duplicate")]
                record = None
            self.emails.add(email)
        return Row(
            line=line,
            values=values,
            record=record,
            errors=errors,
            outcome="error" if errors else "",
            previewed=previewed,
        )

    def _job_type_known(self, name: str) -> bool:
        return (
            not name or self.create_missing_job_types or _fold_job(name) in self.cleaner.job_types
        )

    # --- The commit's pass over the normalised file ---

    def commit_batches(self, lines: Iterable[list[str]]) -> Iterator[CommitBatch]:
        """The normalised file's lines (see ``normalised_rows``) in batches, checked without
        the database: the lines the preview found new and still clean go the fast way (no
        object per line, their COPY text made at once); every other line becomes a ``Row``,
        cleaned again when needed, left for ``resolve`` to compare with the accounts."""
        iterator = iter(lines)
        while batch := list(itertools.islice(iterator, BATCH_SIZE)):
            yield self._split(batch)

    def _split(self, batch: list[list[str]]) -> CommitBatch:
        fresh: list[list[str]] = []
        fresh_ids: list[str] = []
        copy_lines: list[str] = []
        rows: list[Row] = []
        emails = self.emails
        job_ids = self.job_ids
        # Each new person's id (a version 4 UUID) and unusable password suffix, drawn here
        # from one call to the system's random source per batch rather than by PostgreSQL per
        # row (two gen_random_uuid() per row were a tenth of the database's work).
        randoms = secrets.token_hex(RANDOM_BYTES_PER_LINE * len(batch))
        at = 0
        for cells in batch:
            if len(cells) == len(NORMALISED_HEADER) and cells[1] == "create":
                _line, _outcome, email, first, last, country, job = cells
                job_id = job_ids.get(job)
                # The shape clean() gave the line (as _already_clean checks it) and a job type
                # the organization has: the preview's cleaning still holds.
                if (
                    job_id is not None
                    and 0 < len(email) <= EMAIL_MAX_LENGTH
                    and "@" in email
                    and email not in emails
                    and email == email.strip()
                    and email == email.lower()
                    and 0 < len(first) <= NAME_MAX_LENGTH
                    and 0 < len(last) <= NAME_MAX_LENGTH
                    and (not country or country in COUNTRIES)
                    and (first + last + email).isprintable()  # no tab, line break, control
                ):
                    emails.add(email)
                    fresh.append(cells)
                    r = randoms[at : at + RANDOM_HEX_PER_LINE]
                    at += RANDOM_HEX_PER_LINE
                    pk = f"{r[:8]}-{r[8:12]}-4{r[13:16]}-{UUID_VARIANT[r[16]]}{r[17:20]}-{r[20:32]}"
                    fresh_ids.append(pk)
                    password = UNUSABLE_PASSWORD_PREFIX + r[32:]
                    if "\\" in email or "\\" in first or "\\" in last:
                        job_type_id = None if job_id == COPY_NULL else job_id
                        person = (email, first, last, country, job_type_id)
                        copy_lines.append(_copy_line(person, pk, password))
                    else:
                        copy_lines.append(
                            f"{email}\t{first}\t{last}\t{country}\t{job_id}\t{pk}\t{password}\n"
                        )
                    continue
            rows.append(self._clean(*_normalised_line(cells)))
        return CommitBatch(
            size=len(batch),
            fresh=fresh,
            fresh_ids=fresh_ids,
            copy_text="".join(copy_lines),
            rows=rows,
        )

    def row_from_fresh(self, cells: list[str]) -> Row:
        """A fast-path line as a ``Row`` (its checks were made; outcome left to resolve)."""
        values = dict(zip(COLUMNS, cells[2:], strict=True))
        return Row(
            line=int(cells[0]), values=values, record=PersonRecord(**values), previewed="create"
        )

    def resolve(self, rows: list[Row]) -> list[Row]:
        """Compare the valid rows with the accounts of their emails (one query)."""
        return self._resolve(rows)

    def _resolve(self, rows: list[Row]) -> list[Row]:
        valid = [row for row in rows if row.record is not None]
        if self.optimistic:
            for row in valid:
                if row.previewed == "create":
                    row.outcome = "create"
            valid = [row for row in valid if row.outcome != "create"]
        existing = accounts_by_email([row.valid_record.email for row in valid])
        for row in valid:
            self.classify(row, existing.get(row.valid_record.email))
        return rows

    def classify(self, row: Row, account: dict | None) -> None:
        """The line's outcome given the account with its email (None: there is none)."""
        record = row.valid_record
        if account is None:
            row.outcome = "create"
            return
        if account["organization_id"] != self.organization.pk:
            row.errors = [record_error("email", "other_organization")]
            row.record = None
            row.outcome = "error"
            return
        wanted: dict[str, str | uuid.UUID | None] = {
            "first_name": record.first_name,
            "last_name": record.last_name,
        }
        if "country" in self.managed:
            wanted["country"] = record.country
        if "job_type" in self.managed:
            job_type = self.cleaner.job_types.get(_fold_job(record.job_type))
            # A job type still to be created is a change (None never equals it).
            wanted["job_type_id"] = (
                job_type.pk if job_type else (None if not record.job_type else "")
            )
        row.existing = account
        row.changes = {k: v for k, v in wanted.items() if account[k] != v}
        row.reactivate = not account["is_active"]
        row.outcome = "update" if row.changes or row.reactivate else "unchanged"


ACCOUNT_COLUMNS = (
    "id",
    "email",
    "organization_id",
    "first_name",
    "last_name",
    "country",
    "job_type_id",
    "is_active",
)


def accounts_by_email(emails: list[str]) -> dict[str, dict]:
    """The accounts with these emails, in any organization (emails are unique across them)."""
    if not emails:
        return {}
    with unscoped("user import: business emails are unique across organizations"):
        if connection.vendor == "postgresql":
            # One array parameter: compiling an IN list of thousands costs more than the query.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {', '.join(ACCOUNT_COLUMNS)} FROM {User._meta.db_table} "  # noqa: S608
                    "WHERE email = ANY(%s)",
                    [emails],
                )
                return {row[1]: dict(zip(ACCOUNT_COLUMNS, row, strict=True)) for row in cursor}
        accounts = User.objects.filter(email__in=emails).values(*ACCOUNT_COLUMNS)
        return {account["email"]: account for account in accounts}


def _already_clean(values: dict[str, str]) -> bool:
    """Whether a line of the normalised file still has the shape clean() gave it (when not,
    or when a value holds an unusual character, it is simply cleaned again)."""
    email, first, last = values["email"], values["first_name"], values["last_name"]
    return (
        0 < len(email) <= EMAIL_MAX_LENGTH
        and email == email.strip()
        and email == email.lower()
        and "@" in email
        and 0 < len(first) <= NAME_MAX_LENGTH
        and 0 < len(last) <= NAME_MAX_LENGTH
        and len(values["job_type"]) <= JOB_TYPE_MAX_LENGTH
        and (values["country"] == "" or values["country"] in COUNTRIES)
        and (first + last + email + values["job_type"]).isprintable()
    )


def _fold_job(name: str) -> str:
    from .provisioning import fold

    return fold(name)


def members_absent_from(organization: Organization, emails: set[str]) -> list:
    """Ids of the organization's active members whose email is not in the list. Managers are
    never deactivated by a list: a manager removed by mistake could not undo it."""
    with tenant_context(organization):
        return [
            pk
            for pk, email in User.objects.filter(
                organization=organization, is_active=True, org_role=OrgRole.MEMBER
            )
            .values_list("id", "email")
            .iterator(chunk_size=5000)
            if email not in emails
        ]


# --- Preview ------------------------------------------------------------------------------


def write_preview(*, user_import: UserImport, table: Table, validator: Validator) -> None:
    """Validate every row, keep the normalised list and the issues, count the outcomes."""
    counts: dict[str, int] = defaultdict(int)
    total = 0
    with tempfile.TemporaryFile() as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csv.writer(text)
        # An absent column's name is written with a leading "-" (see normalised_columns).
        writer.writerow(
            [
                name if name in validator.managed or name not in COLUMNS else f"-{name}"
                for name in NORMALISED_HEADER
            ]
        )
        for batch in validator.batches(table.rows):
            issues = []
            for row in batch:
                total += 1
                counts[row.outcome] += 1
                # Valid lines as cleaned (what will be stored), others as given.
                shown = row.record.__dict__ if row.record is not None else row.values
                writer.writerow([row.line, row.outcome, *(shown.get(c, "") for c in COLUMNS)])
                issues.extend(_issues(user_import, row))
            with tenant_context(user_import.organization_id):
                ImportIssue.objects.bulk_create(issues)
        text.flush()
        raw.seek(0)
        user_import.normalised_file.save("list.csv", File(raw), save=False)
        text.detach()
    user_import.total_rows = total
    user_import.created_count = counts["create"]
    user_import.updated_count = counts["update"]
    user_import.unchanged_count = counts["unchanged"]
    user_import.error_count = counts["error"]
    # While previewed: how many members a full sync would deactivate.
    user_import.deactivated_count = (
        len(members_absent_from(user_import.organization, validator.emails))
        if user_import.full_sync
        else 0
    )


def _issues(user_import: UserImport, row: Row) -> list[ImportIssue]:
    return [
        ImportIssue(
            organization_id=user_import.organization_id,
            user_import=user_import,
            line=row.line,
            field=error.field,
            code=error.code,
        )
        for error in row.errors
    ]


def normalised_columns(user_import: UserImport) -> frozenset:
    """The allowed columns the uploaded list had (its header in the normalised file)."""
    with user_import.normalised_file.open("rb") as stored:
        header = next(csv.reader(io.TextIOWrapper(stored, encoding="utf-8", newline="")), [])
    return frozenset(name for name in header if name in COLUMNS)


def normalised_rows(user_import: UserImport) -> Iterator[list[str]]:
    """The kept list again, line by line, as its cells: the line number, the preview's outcome
    and the five columns (the cleaned values of a valid line, the given ones of another).
    ``_normalised_line`` turns them into ``Validator._clean``'s arguments."""
    with user_import.normalised_file.open("rb") as stored:
        reader = csv.reader(_stored_lines(stored))
        next(reader, None)  # the header: see normalised_columns()
        yield from reader


def _stored_lines(stored, chunk_size: int = 1024 * 1024) -> Iterator[str]:
    """The lines of a stored UTF-8 text file, read a megabyte at a time (a text wrapper over
    a storage's file asks it whether it is closed at every line), line endings kept."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending = ""
    while chunk := stored.read(chunk_size):
        text = pending + decoder.decode(chunk)
        cut = text.rfind("\n") + 1  # never between the \r and \n of a line ending
        pending = text[cut:]
        yield from io.StringIO(text[:cut], newline="")
    pending += decoder.decode(b"", final=True)
    if pending:
        yield from io.StringIO(pending, newline="")


def _normalised_line(cells: list[str]) -> tuple:
    """A line of the normalised file as ``Table.rows`` gives a line (line, the five columns,
    issue), and whether the preview found it valid (its values are then the cleaned ones)."""
    line, outcome, *values = cells
    if outcome == "error" and not any(values):
        return int(line), None, "malformed", False, outcome
    return int(line), dict(zip(COLUMNS, values, strict=True)), "", outcome != "error", outcome


@dataclass(frozen=True)
class PreviewLine:
    line: int
    outcome: str
    email: str
    first_name: str
    last_name: str
    country: str
    job_type: str


def preview_lines(
    user_import: UserImport, *, offset: int = 0, limit: int = 50
) -> list[PreviewLine]:
    """A page of the previewed list, read again from the normalised file."""
    if not user_import.normalised_file:
        return []
    with user_import.normalised_file.open("rb") as stored:
        reader = csv.reader(io.TextIOWrapper(stored, encoding="utf-8", newline=""))
        next(reader, None)
        return [
            PreviewLine(int(cells[0]), cells[1], *cells[2:])
            for cells in itertools.islice(reader, offset, offset + limit)
        ]


# --- Commit -------------------------------------------------------------------------------


@dataclass
class CommitBatch:
    """A batch of the normalised file for the commit (``Validator.commit_batches``)."""

    size: int  # lines
    # Lines the preview found new, still clean (the normalised file's cells), and their COPY
    # text: nothing else is made for them unless the insert finds their email taken.
    fresh: list[list[str]]
    fresh_ids: list[str]  # the id each fresh line's person gets (drawn with the COPY text)
    copy_text: str
    rows: list[Row]  # every other line (and the fresh ones when they cannot go the fast way)


class Rejected(Exception):  # noqa: N818 -- an outcome, not an error of the code
    """Raised inside the commit's savepoint to undo every write of a refused list."""

    def __init__(self, counts: CommitCounts) -> None:
        self.counts = counts
        super().__init__("rejected")


@dataclass
class CommitCounts:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    reactivated: int = 0
    deactivated: int = 0
    issues: list[tuple[int, str, str]] = field(default_factory=list)


def commit_rows(
    *,
    user_import: UserImport,
    rows: Iterable[list[str]],
    actor: User | None,
    valid_only: bool,
    full_sync: bool,
    invite: bool,
    progress: Callable[[int], None] | None = None,
) -> CommitCounts:
    """Validate and write the list (the normalised file's lines), batch by batch, in the
    caller's transaction.

    Raises Rejected (after validating every row, so the counts and issues are complete) when a
    row is invalid and not ``valid_only``: the caller rolls the writes back.
    """
    organization = user_import.organization
    validator = Validator(
        organization,
        create_missing_job_types=user_import.create_missing_job_types,
        managed=normalised_columns(user_import),
    )
    counts = CommitCounts()
    writing = True
    details = {"source": "import", "import": str(user_import.pk)}
    validator.optimistic = connection.vendor == "postgresql"
    for batch in _read_ahead(validator.commit_batches(rows)):
        if batch.fresh and not (writing and validator.optimistic):
            # Not inserted at once (SQLite, or a list already refused): looked up like the rest.
            batch.rows.extend(map(validator.row_from_fresh, batch.fresh))
            batch.fresh, batch.fresh_ids, batch.copy_text = [], [], ""
        validator.resolve(batch.rows)
        if writing:
            # Writes the valid lines even when this batch holds an error and not valid_only:
            # the savepoint undoes them with the rest (Rejected).
            _write_batch(
                organization=organization,
                batch=batch,
                validator=validator,
                actor=actor,
                details=details,
                invite=invite,
                counts=counts,
            )
        counts.total += batch.size
        for row in batch.rows:
            if row.outcome == "error":
                counts.errors += 1
                counts.issues.extend((row.line, e.field, e.code) for e in row.errors)
        if counts.errors and not valid_only:
            writing = False
            validator.optimistic = False  # no insert finds the conflicts any more
        if progress is not None:
            progress(batch.size)
    if not writing:
        raise Rejected(counts)
    if full_sync:
        absent = members_absent_from(organization, validator.emails)
        with tenant_context(organization):
            for chunk in _chunks(absent, AUDIT_IDS_PER_EVENT):
                User.objects.filter(pk__in=chunk).update(is_active=False)
                record_event(
                    action=AuditAction.USER_DEACTIVATED,
                    actor=actor,
                    organization=organization,
                    object_type="user",
                    object_ids=chunk,
                    details=details,
                )
        counts.deactivated = len(absent)
    return counts


def _read_ahead(batches: Iterator[CommitBatch]) -> Iterator[CommitBatch]:
    """The batches, the next one read and checked in a thread while the caller writes this
    one: the writes mostly wait on the database, which lets the thread run. The thread never
    touches the database (``Validator.commit_batches`` does not); the caller resolves and
    writes each batch, in its transaction."""
    language = translation.get_language()

    def following() -> CommitBatch | None:
        with translation.override(language):  # as the caller (error messages)
            return next(batches, None)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="grove-import") as pool:
        pending = pool.submit(following)
        while (batch := pending.result()) is not None:
            pending = pool.submit(following)
            yield batch


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write_batch(
    *,
    organization: Organization,
    batch: CommitBatch,
    validator: Validator,
    actor,
    details: dict,
    invite: bool,
    counts: CommitCounts,
) -> None:
    """Write a resolved batch. Fast-path lines whose email turned out to be taken are added to
    ``batch.rows``, classified against the account found."""
    cleaner = validator.cleaner
    create = validator.create_missing_job_types
    rows = batch.rows
    new_rows = [row for row in rows if row.outcome == "create"]
    with tenant_context(organization):
        job_types = {
            row.valid_record.job_type: cleaner.job_type_for(
                row.valid_record.job_type, create=create
            )
            for row in rows
            if row.outcome in ("create", "update") and row.valid_record.job_type
        }
        if len(cleaner.job_types) + 1 != len(validator.job_ids):
            validator.refresh_job_ids()  # job types created: their next lines go the fast way
        if new_rows or batch.fresh:
            ids, created, conflicts = _insert_users(
                organization, batch, new_rows, job_types, validator, as_instances=invite
            )
            if conflicts:  # accounts created since the preview: look them up now
                accounts = accounts_by_email([row.valid_record.email for row in conflicts])
                for row in conflicts:
                    validator.classify(row, accounts.get(row.valid_record.email))
                    if row.outcome == "create":  # gone again meanwhile: let it be retried
                        row.errors = [record_error("email", "duplicate")]
                        row.record = None
                        row.outcome = "error"
                job_types.update(
                    {
                        row.valid_record.job_type: cleaner.job_type_for(
                            row.valid_record.job_type, create=create
                        )
                        for row in conflicts
                        if row.outcome == "update" and row.valid_record.job_type
                    }
                )
            counts.created += len(ids)
            for chunk in _chunks(ids, AUDIT_IDS_PER_EVENT):
                record_event(
                    action=AuditAction.USER_CREATED,
                    actor=actor,
                    organization=organization,
                    object_type="user",
                    object_ids=chunk,
                    details={**details, "org_role": OrgRole.MEMBER},
                )
            if invite:
                send_invitations(users=created, actor=actor)
        changed = [row for row in rows if row.outcome == "update"]
        counts.unchanged += sum(1 for row in rows if row.outcome == "unchanged")
        if changed:
            _update_users(organization, changed, job_types, actor=actor, details=details)
            counts.updated += len(changed)
            reactivated = [row.account["id"] for row in changed if row.reactivate]
            counts.reactivated += len(reactivated)


def _insert_users(
    organization: Organization,
    batch: CommitBatch,
    rows: list[Row],
    job_types: dict,
    validator: Validator,
    *,
    as_instances: bool,
) -> tuple[list, list[User], list[Row]]:
    """Insert the batch's new people (its fast-path lines and its ``rows``); returns their ids,
    model instances when asked (invitations need them; building 100,000 instances is a large
    part of the write's cost), and on PostgreSQL the lines whose email turned out to be taken
    (nothing written for them; the fast-path ones added to ``batch.rows``)."""
    prototype = User(organization=organization, org_role=OrgRole.MEMBER, password="")
    people = []
    for row in rows:
        record = row.valid_record
        job_type = job_types.get(record.job_type)
        people.append(
            (
                record.email,
                record.first_name,
                record.last_name,
                record.country,
                job_type.pk if job_type else None,
            )
        )
    conflicts: list[Row] = []
    ids: list[str | uuid.UUID]  # text for COPY on PostgreSQL
    if connection.vendor == "postgresql":
        row_ids = [str(uuid.uuid4()) for _ in people]
        # The emails inserted; a taken email is skipped.
        inserted = _copy_users(
            prototype,
            batch.copy_text
            + "".join(
                _copy_line(person, pk, unusable_password())
                for person, pk in zip(people, row_ids, strict=True)
            ),
            create_staging=not validator.staging_ready,
        )
        validator.staging_ready = True
        fresh_people = (
            [
                (cells[2], cells[3], cells[4], cells[5], validator.job_ids.get(cells[6]))
                for cells in batch.fresh
            ]
            if as_instances
            else []
        )
        if len(inserted) == len(people) + len(batch.fresh):
            ids = [*batch.fresh_ids, *row_ids]
            people = [*fresh_people, *people]
        else:
            conflicts = [row for row in rows if row.valid_record.email not in inserted]
            taken = [
                validator.row_from_fresh(cells) for cells in batch.fresh if cells[2] not in inserted
            ]
            batch.rows.extend(taken)
            conflicts.extend(taken)
            fresh_kept = [cells[2] in inserted for cells in batch.fresh]
            rows_kept = [person[0] in inserted for person in people]
            ids = [
                *itertools.compress(batch.fresh_ids, fresh_kept),
                *itertools.compress(row_ids, rows_kept),
            ]
            people = [
                *itertools.compress(fresh_people, fresh_kept),
                *itertools.compress(people, rows_kept),
            ]
        if as_instances:
            people = [
                (email, first, last, country, None if job_id == COPY_NULL else job_id)
                for email, first, last, country, job_id in people
            ]
    else:
        ids = [uuid.uuid4() for _ in people]
    users = []
    if as_instances or connection.vendor != "postgresql":
        users = [
            User(
                id=pk,
                email=email,
                first_name=first_name,
                last_name=last_name,
                country=country,
                job_type_id=job_type_id,
                organization_id=organization.pk,
                org_role=OrgRole.MEMBER,
                password=unusable_password(),
                created_at=prototype.created_at,
            )
            for pk, (email, first_name, last_name, country, job_type_id) in zip(
                ids, people, strict=True
            )
        ]
    if connection.vendor == "postgresql":
        for user in users:  # already in the table: as if saved by the ORM
            user._state.adding = False
            user._state.db = "default"
    else:
        User.objects.bulk_create(users, batch_size=500)
    return ids, users, conflicts


STAGING_TABLE = "grove_import_user"
# The staged columns, in the order of a COPY line: the five of the list, then the id and the
# unusable password drawn for the person.
STAGED = ("email", "first_name", "last_name", "country", "job_type_id", "id", "password")

COPY_NULL = "\\N"
# Per new person: 16 random bytes for the id (122 bits of it kept, as uuid4), 20 for the
# unusable password's suffix (40 hexadecimal digits, as long as make_password(None)'s).
RANDOM_BYTES_PER_LINE = 36
RANDOM_HEX_PER_LINE = 2 * RANDOM_BYTES_PER_LINE
# A version 4 UUID's variant digit (RFC 9562: the two high bits 10) from any hex digit.
UUID_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def _copy_line(person: tuple, pk, password: str) -> str:
    """One line of COPY's text format. Cleaning refused tabs and line breaks (control
    characters) in every value; a backslash (possible in an email) is escaped."""
    email, first_name, last_name, country, job_type_id = person
    text = f"{email}\t{first_name}\t{last_name}\t{country}"
    if "\\" in text or text.count("\t") != 3 or "\n" in text or "\r" in text:
        return "\t".join(_copy_text(value) for value in (*person, pk, password)) + "\n"
    job = COPY_NULL if job_type_id is None else job_type_id
    return f"{text}\t{job}\t{pk}\t{password}\n"


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    # COPY's text format: backslash, tab and line breaks escaped (names cannot hold the
    # latter two; emails may hold a backslash).
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def _copy_users(prototype: User, copy_text: str, *, create_staging: bool) -> set[str]:
    """COPY the batch's people (their five columns, id and unusable password) into a
    temporary table, then one INSERT … SELECT into accounts_user, as the tenant under
    row-level security (its policy checks every row; COPY FROM itself is refused on a table
    with RLS); returns the emails inserted. ON CONFLICT skips an email taken since the
    preview (in any organization) without an error: a unique violation would also write the
    email into the database server's log. The other columns take the prototype's values
    (organization, role, defaults). The temporary table is created by the first batch of a
    commit (``create_staging``) and truncated in the INSERT's round trip (round trips are what
    a loaded database server makes costly; a DELETE would leave its dead rows to every later
    batch's scan)."""
    table = User._meta.db_table
    quote = connection.ops.quote_name
    constant = [f for f in User._meta.concrete_fields if f.attname not in STAGED]
    staged = ", ".join(quote(name) for name in STAGED)
    with connection.cursor() as cursor:
        if create_staging:
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING_TABLE} "  # noqa: S608 -- names
                "(email text, first_name text, last_name text, country text, job_type_id uuid, "
                "id uuid, password text) ON COMMIT DROP"
            )
        with cursor.cursor.copy(f"COPY {STAGING_TABLE} ({staged}) FROM STDIN") as copy:
            copy.write(copy_text)
        # A concrete field has a column (None is for the others).
        columns = [*STAGED, *(cast(str, f.column) for f in constant)]
        # Two statements in one round trip (parameters are bound on the client side): the
        # cursor stays on the first one's rows.
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
            f"SELECT {staged}, {', '.join(['%s'] * len(constant))} FROM {STAGING_TABLE} "
            f"ON CONFLICT (email) DO NOTHING RETURNING email; TRUNCATE {STAGING_TABLE}",
            [f.get_db_prep_save(getattr(prototype, f.attname), connection) for f in constant],
        )
        return {email for (email,) in cursor.fetchall()}


def _update_users(
    organization: Organization, rows: list[Row], job_types: dict, *, actor, details: dict
) -> None:
    by_fields: dict[tuple[str, ...], list] = defaultdict(list)
    updates = []
    for row in rows:
        account = row.account
        if row.changes:
            job_type = job_types.get(row.valid_record.job_type)
            # An attribute whose column the list lacks keeps its value.
            updates.append(
                User(
                    id=account["id"],
                    organization=organization,
                    email=account["email"],
                    first_name=row.valid_record.first_name,
                    last_name=row.valid_record.last_name,
                    country=row.changes.get("country", account["country"]),
                    job_type_id=(
                        (job_type.pk if job_type else None)
                        if "job_type_id" in row.changes
                        else account["job_type_id"]
                    ),
                )
            )
            names = tuple(sorted(name.removesuffix("_id") for name in row.changes))
            by_fields[names].append(account["id"])
    if updates:
        User.objects.bulk_update(
            updates, ["first_name", "last_name", "country", "job_type"], batch_size=500
        )
    for names, ids in by_fields.items():
        for chunk in _chunks(ids, AUDIT_IDS_PER_EVENT):
            record_event(
                action=AuditAction.USER_CHANGED,
                actor=actor,
                organization=organization,
                object_type="user",
                object_ids=chunk,
                details={**details, "fields": list(names)},
            )
    reactivated = [row.account["id"] for row in rows if row.reactivate]
    for chunk in _chunks(reactivated, AUDIT_IDS_PER_EVENT):
        User.objects.filter(pk__in=chunk).update(is_active=True)
        record_event(
            action=AuditAction.USER_REACTIVATED,
            actor=actor,
            organization=organization,
            object_type="user",
            object_ids=chunk,
            details=details,
        )
