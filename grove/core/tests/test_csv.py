"""grove.core.csv: every cell a spreadsheet would evaluate is neutralised."""

import csv
import io

import pytest

from grove.core.csv import csv_lines, safe_cell


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("https://evil.example","x")',
        "+1+1",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1",
        "\r=1",
    ],
)
def test_a_cell_a_spreadsheet_would_evaluate_gets_an_apostrophe(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["plain", "a=b", "1-2", "", "user@example", "'quoted"])
def test_other_cells_are_left_alone(value):
    assert safe_cell(value) == value


def test_none_is_an_empty_cell_and_numbers_are_text():
    assert safe_cell(None) == ""
    assert safe_cell(42) == "42"
    assert safe_cell(-1) == "'-1"


def test_csv_lines_quote_and_neutralise_every_row():
    rows = [["when", "what"], ["2026-01-01", '=cmd|" /C calc"!A0'], ["x,y", "line\nbreak"]]

    text = "".join(csv_lines(rows))

    assert text.endswith("\r\n")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed == [
        ["when", "what"],
        ["2026-01-01", '\'=cmd|" /C calc"!A0'],
        ["x,y", "line\nbreak"],
    ]


def test_csv_lines_are_lazy():
    def rows():
        yield ["a"]
        raise AssertionError("read too far")

    assert next(csv_lines(rows())) == "a\r\n"
