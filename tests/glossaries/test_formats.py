"""The file formats alone: any valid term survives write then parse in every format, and
rows keep the line they start on."""

from __future__ import annotations

import csv
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gloss.glossaries import formats, schemas
from gloss.glossaries.schemas import TermImport
from gloss.spreadsheet import read_cell, safe_cell

# Letters, marks, numbers, punctuation, symbols (emoji) and spaces from all of Unicode; the
# schema refuses control characters, so the strategy leaves them out.
TEXT = st.characters(categories=("L", "M", "N", "P", "S", "Zs"), exclude_characters="\ufffe\uffff")
ONE_LINE = st.text(TEXT, min_size=1, max_size=40)
WITHOUT_PIPE = st.text(
    st.characters(categories=("L", "M", "N", "P", "S", "Zs"), exclude_characters="|\ufffe\uffff"),
    min_size=1,
    max_size=20,
)
DEFINITION = st.lists(
    st.one_of(st.text(TEXT, max_size=10), st.sampled_from(["\n", "\t", "\r\n", "]]>", "&amp;"])),
    max_size=20,
).map("".join)


@st.composite
def terms(draw: st.DrawFn) -> dict[str, Any]:
    raw = {
        "term": draw(ONE_LINE),
        "definition": draw(DEFINITION),
        "aliases": draw(st.lists(WITHOUT_PIPE, max_size=4)),
        "url": draw(st.sampled_from([None, "https://example.org/a?b=1&c=é"])),
        "tags": draw(st.lists(WITHOUT_PIPE, max_size=3)),
        "case_sensitive": draw(st.booleans()),
        "entity_label": draw(st.sampled_from([None, "ORG", "PERSON", "GPE"])),
    }
    try:
        return TermImport.model_validate(raw).model_dump()
    except ValueError:
        return draw(st.nothing())  # e.g. only spaces: the schema refuses it, nothing to round-trip


@pytest.mark.parametrize("fmt", ["csv", "json", "tbx"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(items=st.lists(terms(), min_size=1, max_size=5))
def test_write_then_parse_gives_back_every_term(
    fmt: schemas.ImportFormat, items: list[Any]
) -> None:
    rows = formats.parse(formats.write(items, fmt, "T"), fmt)
    assert [row.error for row in rows] == [None] * len(items)
    assert [TermImport.model_validate(row.data).model_dump() for row in rows] == items


def test_rows_keep_their_lines() -> None:
    items = [
        {"term": "a", "definition": "one\ntwo\nthree"},
        {"term": "b", "definition": ""},
    ]
    for fmt in ("csv", "json", "tbx"):
        rows = formats.parse(formats.write(items, fmt), fmt)  # type: ignore[arg-type]
        first, second = (row.line for row in rows)
        assert first is not None
        assert second is not None
        assert second > first + 2  # the definition's line breaks are counted
    assert [r.line for r in formats.parse_csv(b"term\r\na\r\n\r\nb\r\n")] == [2, 4]


def test_csv_header_problems_are_format_errors() -> None:
    with pytest.raises(formats.FormatError, match="no 'term' column"):
        formats.parse_csv(b"definition\nx\n")
    with pytest.raises(formats.FormatError, match="twice"):
        formats.parse_csv(b"term,term\nx,y\n")
    with pytest.raises(formats.FormatError, match="empty"):
        formats.parse_csv(b"")
    # A BOM and any column order are fine.
    [row] = formats.parse_csv("\ufeffaliases,term\nx|y,z\n".encode())
    assert row.data == {"term": "z", "aliases": ["x", "y"]}


def test_formats_by_name_and_media_type() -> None:
    assert formats.format_for_filename("Terms.TBX") == "tbx"
    assert formats.format_for_filename("terms") is None
    assert formats.format_for_media_type("text/csv; charset=utf-8") == "csv"
    assert formats.format_for_media_type("application/xml") == "tbx"
    assert formats.format_for_media_type("application/pdf") is None


def test_an_empty_glossary_round_trips() -> None:
    for fmt in ("csv", "json", "tbx"):
        assert formats.parse(formats.write([], fmt), fmt) == []  # type: ignore[arg-type]
    with pytest.raises(formats.FormatError, match="not <tbx>"):
        formats.parse_tbx(b"<html><body/></html>")


@pytest.mark.parametrize(
    "value", ['=HYPERLINK("http://evil")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\tx"]
)
def test_csv_export_never_writes_a_formula_and_reads_back_the_same(value: str) -> None:
    alias = value.replace("|", "/").strip()  # "|" separates aliases
    term = {
        "term": "x" + value,
        "definition": value,
        "aliases": [alias],
        "url": None,
        "tags": [alias],
        "case_sensitive": False,
        "entity_label": None,
    }
    written = formats.write_csv([term]).decode()
    for cell in next(csv.reader([written.splitlines()[1]])):
        assert not cell.startswith(("=", "+", "-", "@", "\t")), cell
    [row] = formats.parse_csv(written.encode())
    assert row.data["definition"] == value
    assert row.data["aliases"] == [alias]
    assert row.data["tags"] == [alias]


@pytest.mark.parametrize("value", ["'=1", "''+x", "'plain", "=1", "plain", ""])
def test_a_cell_is_read_back_as_it_was_written(value: str) -> None:
    assert read_cell(safe_cell(value)) == value
    assert not safe_cell(value).startswith(("=", "+", "-", "@"))
