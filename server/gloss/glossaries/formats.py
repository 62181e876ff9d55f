"""Glossary files: CSV, JSON and TBX read into rows with line numbers, and written back (pure)."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET  # writing only; files are parsed with defusedxml
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax import SAXException, SAXParseException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import Locator

import defusedxml.sax
from defusedxml import DefusedXmlException

from gloss import safe_json
from gloss.glossaries.schemas import ImportFormat
from gloss.spreadsheet import read_cell, safe_cell

CSV_COLUMNS = ("term", "definition", "aliases", "url", "tags", "case_sensitive", "entity_label")
REQUIRED_CSV_COLUMNS = ("term",)
LIST_SEPARATOR = "|"

MEDIA_TYPES: dict[ImportFormat, str] = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "tbx": "application/x-tbx+xml",
}
_FORMAT_BY_MEDIA_TYPE: dict[str, ImportFormat] = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/json": "json",
    "application/x-tbx+xml": "tbx",
    "application/tbx+xml": "tbx",
    "application/x-tbx": "tbx",
    "application/xml": "tbx",
    "text/xml": "tbx",
}
_FORMAT_BY_EXTENSION: dict[str, ImportFormat] = {
    ".csv": "csv",
    ".json": "json",
    ".tbx": "tbx",
    ".xml": "tbx",
}

TBX_NAMESPACE = "urn:iso:std:iso:30042:ed-2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
GLOSS_NOTE = "gloss:"
PREFERRED = "preferredTerm-admn-sts"
ADMITTED = "admittedTerm-admn-sts"


class FormatError(ValueError):
    """The file as a whole cannot be read (not UTF-8, not JSON, not XML, no header)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class ParsedRow:
    """One term as the file has it, not yet validated; `error` when the row itself is broken."""

    line: int | None
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def format_for_media_type(media_type: str | None) -> ImportFormat | None:
    if not media_type:
        return None
    return _FORMAT_BY_MEDIA_TYPE.get(media_type.split(";")[0].strip().lower())


def format_for_filename(filename: str | None) -> ImportFormat | None:
    if not filename or "." not in filename:
        return None
    return _FORMAT_BY_EXTENSION.get(filename[filename.rindex(".") :].lower())


def parse(data: bytes, fmt: ImportFormat) -> list[ParsedRow]:
    if fmt == "csv":
        return parse_csv(data)
    if fmt == "json":
        return parse_json(data)
    return parse_tbx(data)


def write(terms: Sequence[Mapping[str, Any]], fmt: ImportFormat, title: str = "") -> bytes:
    """`terms` are term objects as the API returns them."""
    if fmt == "csv":
        return write_csv(terms)
    if fmt == "json":
        return write_json(terms)
    return write_tbx(terms, title)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FormatError(f"The file is not UTF-8 (byte {exc.start}).", line) from exc


# --- CSV -------------------------------------------------------------------------------------


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip()]


def _boolean(cell: str) -> bool | str:
    value = cell.strip().lower()
    if value in ("", "false", "0", "no", "n", "f"):
        return False
    if value in ("true", "1", "yes", "y", "t"):
        return True
    return cell  # validation reports it with the row's line


def parse_csv(data: bytes) -> list[ParsedRow]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise FormatError(f"The header row is not valid CSV: {exc}.", 1) from exc
    if header is None:
        raise FormatError("The file is empty; it needs a header row: " + ",".join(CSV_COLUMNS))
    columns = [name.strip().lower() for name in header]
    unknown = [name for name in columns if name not in CSV_COLUMNS]
    if unknown:
        raise FormatError(
            f"Unknown column(s) {', '.join(repr(c) for c in unknown)}; "
            f"the columns are {','.join(CSV_COLUMNS)}.",
            1,
        )
    missing = [name for name in REQUIRED_CSV_COLUMNS if name not in columns]
    if missing:
        raise FormatError(f"The header has no {missing[0]!r} column.", 1)
    if len(set(columns)) != len(columns):
        raise FormatError("A column appears twice in the header.", 1)

    rows: list[ParsedRow] = []
    last_line = reader.line_num
    while True:
        start = last_line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # A broken quote swallows the rest of the file: report it and stop reading.
            rows.append(ParsedRow(start, error=f"not valid CSV: {exc}"))
            break
        last_line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            rows.append(
                ParsedRow(start, error=f"{len(cells)} cells where the header has {len(columns)}")
            )
            continue
        raw = dict(zip(columns, (read_cell(c) for c in cells), strict=True))
        row: dict[str, Any] = {"term": raw["term"]}
        if "definition" in raw:
            row["definition"] = raw["definition"]
        if "aliases" in raw:
            row["aliases"] = _split(raw["aliases"])
        if "tags" in raw:
            row["tags"] = _split(raw["tags"])
        if "url" in raw:
            row["url"] = raw["url"].strip() or None
        if "case_sensitive" in raw:
            row["case_sensitive"] = _boolean(raw["case_sensitive"])
        if "entity_label" in raw:
            row["entity_label"] = raw["entity_label"].strip() or None
        rows.append(ParsedRow(start, row))
    return rows


def write_csv(terms: Iterable[Mapping[str, Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for term in terms:
        writer.writerow(
            safe_cell(cell)
            for cell in (
                term["term"],
                term.get("definition") or "",
                LIST_SEPARATOR.join(term.get("aliases") or []),
                term.get("url") or "",
                LIST_SEPARATOR.join(term.get("tags") or []),
                "true" if term.get("case_sensitive") else "false",
                term.get("entity_label") or "",
            )
        )
    return out.getvalue().encode("utf-8")


# --- JSON ------------------------------------------------------------------------------------


def parse_json(data: bytes) -> list[ParsedRow]:
    text = _decode(data)
    try:
        document = safe_json.loads(text)
    except safe_json.JsonRefused as exc:
        cause = exc.__cause__
        if isinstance(cause, json.JSONDecodeError):
            raise FormatError(f"The file is not valid JSON: {cause.msg}.", cause.lineno) from exc
        raise FormatError(str(exc)) from exc
    if isinstance(document, dict) and isinstance(document.get("terms"), list):
        document = document["terms"]  # also accept {"terms": [...]}
    if not isinstance(document, list):
        raise FormatError("The file must hold a JSON list of term objects.", 1)
    lines = _item_lines(text)
    rows = []
    for index, item in enumerate(document):
        line = lines[index] if index < len(lines) else None
        if not isinstance(item, dict):
            rows.append(ParsedRow(line, error=f"item {index + 1} is not an object"))
        else:
            rows.append(ParsedRow(line, item))
    return rows


def _item_lines(text: str) -> list[int]:
    """The line each item of the top-level list starts on (the document is known valid)."""
    decoder = json.JSONDecoder()
    position = text.index("[")
    # A {"terms": [...]} document: the list is the one after the key (written plainly; a
    # key spelled with escapes gets no line numbers).
    if text.lstrip().startswith("{"):
        key = text.find('"terms"')
        if key < 0:
            return []
        position = text.index("[", key)
    position += 1
    lines = []
    line = text.count("\n", 0, position) + 1
    length = len(text)
    while position < length:
        while position < length and text[position] in " \t\r\n,":
            if text[position] == "\n":
                line += 1
            position += 1
        if position >= length or text[position] == "]":
            break
        lines.append(line)
        _, end = decoder.raw_decode(text, position)
        line += text.count("\n", position, end)
        position = end
    return lines


def write_json(terms: Iterable[Mapping[str, Any]]) -> bytes:
    return (json.dumps(list(terms), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --- TBX -------------------------------------------------------------------------------------
# ISO 30042:2019 (TBX v3), TBX-Basic dialect, DCA style, is what we write: conceptEntry >
# langSec xml:lang="en" > termSec > term. We read that and the 2008 edition (martif >
# termEntry > langSet > tig|ntig) that most terminology tools still export.

_ENTRY = {"conceptEntry", "termEntry"}
_LANG = {"langSec", "langSet"}
_TERM_GROUP = {"termSec", "tig", "ntig"}


@dataclass
class _TbxTerm:
    text: str = ""
    status: str = ""
    definition: str | None = None


@dataclass
class _TbxLang:
    lang: str
    terms: list[_TbxTerm] = field(default_factory=list)
    definition: str | None = None


@dataclass
class _TbxEntry:
    line: int | None
    langs: list[_TbxLang] = field(default_factory=list)
    definition: str | None = None
    tags: list[str] = field(default_factory=list)
    url: str | None = None
    notes: dict[str, str] = field(default_factory=dict)


class _TbxHandler(ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.entries: list[_TbxEntry] = []
        self.locator: Locator | None = None
        self._entry: _TbxEntry | None = None
        self._lang: _TbxLang | None = None
        self._term: _TbxTerm | None = None
        self._capture: tuple[str, str] | None = None  # (element, type attribute)
        self._text: list[str] = []
        self._depth = 0  # nesting inside the captured element (inline markup such as <hi>)
        self.root: str | None = None

    def setDocumentLocator(self, locator: Locator) -> None:  # noqa: N802  (SAX's name)
        self.locator = locator

    def startElement(self, name: str, attrs: Any) -> None:  # noqa: N802
        local = name.rsplit(":", 1)[-1]
        if self.root is None:
            self.root = local
        if self._capture is not None:
            self._depth += 1
            return
        if local in _ENTRY:
            line = self.locator.getLineNumber() if self.locator else None
            self._entry = _TbxEntry(line)
        elif self._entry is None:
            return
        elif local in _LANG:
            self._lang = _TbxLang(attrs.get("xml:lang", "") or attrs.get("lang", ""))
            self._entry.langs.append(self._lang)
        elif local in _TERM_GROUP and self._lang is not None:
            self._term = _TbxTerm()
            self._lang.terms.append(self._term)
        elif local in ("term", "descrip", "termNote", "note", "xref", "admin"):
            if local == "xref" and attrs.get("target") and self._entry.url is None:
                self._entry.url = attrs.get("target")
            self._capture = (local, attrs.get("type", ""))
            self._text = []
            self._depth = 0

    def characters(self, content: str) -> None:
        if self._capture is not None:
            self._text.append(content)

    def endElement(self, name: str) -> None:  # noqa: N802
        local = name.rsplit(":", 1)[-1]
        if self._capture is not None:
            if self._depth:
                self._depth -= 1
                return
            self._finish_capture("".join(self._text))
            self._capture = None
            return
        if local in _ENTRY and self._entry is not None:
            self.entries.append(self._entry)
            self._entry, self._lang, self._term = None, None, None
        elif local in _LANG:
            self._lang, self._term = None, None
        elif local in _TERM_GROUP:
            self._term = None

    def _finish_capture(self, text: str) -> None:
        assert self._capture is not None
        assert self._entry is not None
        element, kind = self._capture
        entry, lang, term = self._entry, self._lang, self._term
        if element == "term" and term is not None:
            term.text = text
        elif element == "termNote" and kind == "administrativeStatus" and term is not None:
            term.status = text.strip()
        elif element == "descrip" and kind == "definition":
            if term is not None:
                term.definition = term.definition or text
            elif lang is not None:
                lang.definition = lang.definition or text
            else:
                entry.definition = entry.definition or text
        elif element == "descrip" and kind == "subjectField":
            if text.strip():
                entry.tags.append(text.strip())
        elif element == "note" and text.strip().startswith(GLOSS_NOTE):
            key, _, value = text.strip()[len(GLOSS_NOTE) :].partition("=")
            entry.notes[key.strip()] = value.strip()
        elif element == "xref" and entry.url is None and text.strip():
            entry.url = text.strip()


def _entry_row(entry: _TbxEntry) -> ParsedRow:
    langs = [lang for lang in entry.langs if lang.terms]
    if not langs:
        return ParsedRow(entry.line, error="the entry has no term")
    # The English section if there is one: the matcher reads English text.
    lang = next((x for x in langs if x.lang.lower().split("-")[0] == "en"), langs[0])
    terms = [t for t in lang.terms if t.text.strip()]
    if not terms:
        return ParsedRow(entry.line, {"term": ""}, error="the entry has an empty term")
    main = next((t for t in terms if t.status.startswith("preferred")), terms[0])
    aliases = [t.text for t in terms if t is not main]
    definition = (
        main.definition
        or lang.definition
        or entry.definition
        or next((t.definition for t in terms if t.definition), None)
        or ""
    )
    data: dict[str, Any] = {
        "term": main.text,
        "definition": definition,
        "aliases": aliases,
        "tags": entry.tags,
        "url": entry.url,
    }
    if "case_sensitive" in entry.notes:
        data["case_sensitive"] = _boolean(entry.notes["case_sensitive"])
    if entry.notes.get("entity_label"):
        data["entity_label"] = entry.notes["entity_label"]
    return ParsedRow(entry.line, data)


def parse_tbx(data: bytes) -> list[ParsedRow]:
    handler = _TbxHandler()
    try:
        defusedxml.sax.parseString(data, handler)
    except SAXParseException as exc:
        raise FormatError(
            f"The file is not well-formed XML: {exc.getMessage()}.", exc.getLineNumber()
        ) from exc
    except DefusedXmlException as exc:
        # DTDs and entity declarations could make a small file expand without bound.
        raise FormatError("The file declares a DTD or entities, which are not accepted.") from exc
    except SAXException as exc:
        raise FormatError(f"The file is not valid XML: {exc.getMessage()}.") from exc
    except (LookupError, UnicodeError, ValueError) as exc:
        # An encoding the parser does not know or will not use (expat: "multi-byte encodings
        # are not supported", as for UTF-7), or bytes that do not decode as the one declared.
        raise FormatError(f"The file's encoding cannot be read: {exc}. Save it as UTF-8.") from exc
    if not handler.entries and handler.root not in ("tbx", "martif"):
        raise FormatError(
            f"The root element is <{handler.root}>, not <tbx> or <martif>: is it TBX?", 1
        )
    return [_entry_row(entry) for entry in handler.entries]


def write_tbx(terms: Iterable[Mapping[str, Any]], title: str = "") -> bytes:
    root = ET.Element(
        "tbx",
        {"type": "TBX-Basic", "style": "dca", XML_LANG: "en", "xmlns": TBX_NAMESPACE},
    )
    file_desc = ET.SubElement(ET.SubElement(root, "tbxHeader"), "fileDesc")
    ET.SubElement(ET.SubElement(file_desc, "titleStmt"), "title").text = title or "Glossary"
    ET.SubElement(ET.SubElement(file_desc, "sourceDesc"), "p").text = "Exported from Gloss"
    body = ET.SubElement(ET.SubElement(root, "text"), "body")
    for index, term in enumerate(terms, start=1):
        entry = ET.SubElement(body, "conceptEntry", {"id": f"c{index}"})
        for tag in term.get("tags") or []:
            ET.SubElement(entry, "descrip", {"type": "subjectField"}).text = tag
        if term.get("url"):
            ET.SubElement(
                entry, "xref", {"type": "externalCrossReference", "target": term["url"]}
            ).text = term["url"]
        # TBX-Basic has no case rule or entity type: notes carry them, as plain text any
        # TBX tool keeps.
        ET.SubElement(
            entry, "note"
        ).text = f"{GLOSS_NOTE}case_sensitive={'true' if term.get('case_sensitive') else 'false'}"
        if term.get("entity_label"):
            ET.SubElement(entry, "note").text = f"{GLOSS_NOTE}entity_label={term['entity_label']}"
        lang = ET.SubElement(entry, "langSec", {XML_LANG: "en"})
        if term.get("definition"):
            ET.SubElement(lang, "descrip", {"type": "definition"}).text = term["definition"]
        for text, status in [(term["term"], PREFERRED)] + [
            (alias, ADMITTED) for alias in term.get("aliases") or []
        ]:
            section = ET.SubElement(lang, "termSec")
            ET.SubElement(section, "term").text = text
            ET.SubElement(section, "termNote", {"type": "administrativeStatus"}).text = status
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
