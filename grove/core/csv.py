"""Every CSV the platform produces goes through here: cells safe to open in a spreadsheet.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula
by Excel, LibreOffice and Google Sheets (CSV or formula injection): a value typed by one person
could run in the spreadsheet of another. Such a cell gets a leading apostrophe, which spreadsheets
show as text and do not evaluate (OWASP's recommendation). The module is named after what it
makes; the standard library's ``csv`` is imported absolutely.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """The cell's text, with a leading apostrophe when a spreadsheet would evaluate it."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def safe_row(values: Iterable[Any]) -> list[str]:
    return [safe_cell(value) for value in values]


class _Echo:
    """A file-like object whose write() hands the line back, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Each row as one CSV line (RFC 4180 quoting, CRLF), every cell neutralised.

    Lazy, for a ``StreamingHttpResponse``: nothing is held but the row being written.
    """
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(safe_row(row))
