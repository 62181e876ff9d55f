"""Export (W3C JSON-LD, Markdown, CSV) and import (W3C JSON-LD, Hypothesis API JSON); pure."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from gloss.collections.presenter import (
    ANNO_MEDIA_TYPE,
    Iris,
    PageWindow,
    present_container,
    present_page,
)
from gloss.collections.schemas import (
    MAX_NOTE_CHARS,
    AnnotationData,
    AnnotationInvalid,
    Errors,
    ImportSkip,
    as_list,
    clean_source,
    finish,
    parse_color,
    parse_selectors,
    parse_tags,
    parse_text,
    parse_time,
    parse_title,
    parse_w3c_annotation,
    types_of,
)
from gloss.models import Collection
from gloss.spreadsheet import safe_cell

EXPORT_FORMATS = {
    "jsonld": ANNO_MEDIA_TYPE,
    "markdown": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}
MAX_IMPORT_ITEMS = 10_000
CSV_COLUMNS = (
    "id",
    "url",
    "quote",
    "prefix",
    "suffix",
    "start",
    "end",
    "note",
    "tags",
    "color",
    "motivation",
    "creator",
    "created",
    "modified",
)


# --- Reading the parts of a presented annotation back ---------------------------------------


@dataclass(frozen=True)
class Flat:
    """The fields of one presented W3C annotation that the flat formats show."""

    id: str
    url: str
    title: str  # the page's title, "" when unknown
    quote: str
    prefix: str
    suffix: str
    start: int | None
    end: int | None
    note: str
    tags: list[str]
    color: str
    motivation: str
    creator: str
    created: str
    modified: str


def flatten(doc: dict[str, Any]) -> Flat:
    target = doc["target"]
    if isinstance(target, str):  # a plain IRI: the page, no selector
        target = {"source": target}
    quote_selector: dict[str, Any] = {}
    position: dict[str, Any] = {}
    for selector in target.get("selector", []):
        if selector["type"] == "TextQuoteSelector":
            quote_selector = selector
        elif selector["type"] == "TextPositionSelector":
            position = selector
    bodies = doc.get("body", [])
    note = next((b["value"] for b in bodies if b.get("purpose") == "commenting"), "")
    creator = doc.get("creator") or {}
    return Flat(
        id=doc["id"],
        url=target["source"],
        title=target.get("title", ""),
        quote=quote_selector.get("exact", ""),
        prefix=quote_selector.get("prefix", ""),
        suffix=quote_selector.get("suffix", ""),
        start=position.get("start"),
        end=position.get("end"),
        note=note,
        tags=[b["value"] for b in bodies if b.get("purpose") == "tagging"],
        color=doc.get("color", ""),
        motivation=doc["motivation"],
        creator=creator.get("name") or creator.get("nickname", ""),
        created=doc["created"],
        modified=doc["modified"],
    )


def group_by_page(docs: list[dict[str, Any]]) -> list[tuple[str, list[Flat]]]:
    """Annotations grouped by their page, pages in order of their first annotation."""
    groups: dict[str, list[Flat]] = {}
    for doc in docs:
        flat = flatten(doc)
        groups.setdefault(flat.url, []).append(flat)
    return list(groups.items())


# --- Export ---------------------------------------------------------------------------------


def export(
    fmt: str, collection: Collection, docs: list[dict[str, Any]], iris: Iris, page_size: int
) -> tuple[str, str]:
    if fmt == "jsonld":
        text = json.dumps(to_jsonld(collection, docs, iris, page_size), ensure_ascii=False)
    elif fmt == "markdown":
        text = to_markdown(collection.name, docs)
    else:
        text = to_csv(docs)
    return text, EXPORT_FORMATS[fmt]


def to_jsonld(
    collection: Collection, docs: list[dict[str, Any]], iris: Iris, page_size: int
) -> list[dict[str, Any]]:
    """The container and every one of its pages, each a whole JSON-LD document, as the
    protocol serves them with contained descriptions: a JSON-LD array of node objects."""
    total = len(docs)
    latest = max((d["modified"] for d in docs), default=None)
    container = present_container(
        collection,
        iris,
        total=total,
        modified=None,
        page_size=page_size,
        contained_iris=False,
        first_page=None,
    )
    if latest and latest > container["modified"]:
        container["modified"] = latest
    out = [container]
    if total:
        last = PageWindow(0, page_size, total).last_index
        for index in range(last + 1):
            window = PageWindow(index, page_size, total)
            items = docs[window.start : window.start + page_size]
            out.append(present_page(collection, iris, window, items, contained_iris=False))
    return out


# What would turn quoted reader text into Markdown syntax (emphasis, links, HTML, tables).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def to_markdown(name: str, docs: list[dict[str, Any]]) -> str:
    lines = [
        f"# {_md(name)}",
        "",
        f"{len(docs)} annotation{'' if len(docs) == 1 else 's'}, grouped by page.",
        "",
    ]
    for url, flats in group_by_page(docs):
        title = next((f.title for f in reversed(flats) if f.title), "") or url
        lines += [f"## [{_md(title)}](<{url.replace('>', '%3E')}>)", ""]
        for flat in flats:
            if flat.quote:
                lines += [f"> {_md(line)}" if line else ">" for line in flat.quote.splitlines()]
                lines.append("")
            if flat.note:
                lines += [_md(flat.note), ""]
            meta = []
            if flat.tags:
                meta.append("tags: " + ", ".join(_md(t) for t in flat.tags))
            if flat.color:
                meta.append(f"colour: {_md(flat.color)}")
            who = f"{_md(flat.creator)}, " if flat.creator else ""
            meta.append(f"{who}{flat.created[:10]}")
            lines += ["*" + " · ".join(meta) + "*", ""]
    return "\n".join(lines).rstrip() + "\n"


def to_csv(docs: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for doc in docs:
        flat = flatten(doc)
        writer.writerow(
            [
                safe_cell(flat.id),
                safe_cell(flat.url),
                safe_cell(flat.quote),
                safe_cell(flat.prefix),
                safe_cell(flat.suffix),
                flat.start if flat.start is not None else "",
                flat.end if flat.end is not None else "",
                safe_cell(flat.note),
                safe_cell("|".join(flat.tags)),
                safe_cell(flat.color),
                flat.motivation,
                safe_cell(flat.creator),
                flat.created,
                flat.modified,
            ]
        )
    return out.getvalue()


# --- Import ---------------------------------------------------------------------------------


@dataclass
class ImportPlan:
    """What an import would store, skip and refuse; nothing is stored unless errors is empty."""

    format: str
    seen: int = 0
    items: list[AnnotationData] = field(default_factory=list)
    skipped: list[ImportSkip] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _w3c_candidates(node: Any, out: list[Any], plan: ImportPlan) -> None:
    """Annotations found in an annotation, a page, a collection with embedded pages, an array
    of any of those (Gloss's own export), or a JSON-LD @graph."""
    if isinstance(node, list):
        for item in node:
            _w3c_candidates(item, out, plan)
        return
    if not isinstance(node, dict):
        out.append(node)  # refused later with its index
        return
    if "@graph" in node and "type" not in node:
        _w3c_candidates(node["@graph"], out, plan)
        return
    kinds = types_of(node)
    if "AnnotationPage" in kinds:
        items = node.get("items")
        if not isinstance(items, list):
            plan.errors.append({"index": len(out), "loc": ["items"], "msg": "a page needs items"})
            return
        out.extend(items)
    elif "AnnotationCollection" in kinds:
        first = node.get("first")
        # A container whose pages are IRIs is followed by its pages in Gloss's export; an
        # embedded first page is read here.
        if isinstance(first, dict):
            _w3c_candidates(first, out, plan)
    else:
        out.append(node)


def _hypothesis_row(row: Any) -> AnnotationData | str:
    """One row of the Hypothesis API's search results; a str is the reason it is skipped."""
    if not isinstance(row, dict):
        raise AnnotationInvalid([{"loc": [], "msg": "a row must be a JSON object"}])
    if row.get("references"):
        return "a reply to another annotation"
    errors = Errors()
    targets = as_list(row.get("target"))
    target = targets[0] if targets and isinstance(targets[0], dict) else {}
    source = clean_source(target.get("source") or row.get("uri"), errors, ("target", 0, "source"))
    selectors, dropped = parse_selectors(
        target.get("selector"), errors, ("target", 0, "selector"), strict=False
    )
    note = parse_text(row.get("text"), MAX_NOTE_CHARS, errors, ("text",))
    if not errors.items and not selectors and not (note or "").strip() and not dropped:
        return "a page note without text"
    return finish(
        errors,
        source=source,
        selectors=selectors,
        motivation=None,
        note=note,
        tags=parse_tags(row.get("tags"), errors, ("tags",)),
        color=parse_color(row.get("color"), errors, ("color",)),
        created=parse_time(row.get("created"), errors, ("created",)),
        modified=parse_time(row.get("updated"), errors, ("updated",)),
        dropped=dropped,
        title=_hypothesis_title(row.get("document"), errors),
    )


def _hypothesis_title(document: Any, errors: Errors) -> str | None:
    """The page title a Hypothesis row carries (`document.title`, a list of one)."""
    titles = as_list(document.get("title")) if isinstance(document, dict) else []
    return parse_title(titles[0], errors, ("document", "title")) if titles else None


def parse_import(document: Any) -> ImportPlan:
    """Detect the format and validate every item; the caller stores only an error-free plan."""
    hypothesis = isinstance(document, dict) and isinstance(document.get("rows"), list)
    plan = ImportPlan(format="hypothesis" if hypothesis else "w3c")
    candidates: list[Any] = []
    if hypothesis:
        candidates = list(document["rows"])
    else:
        _w3c_candidates(document, candidates, plan)
    plan.seen = len(candidates)
    if plan.seen > MAX_IMPORT_ITEMS:
        plan.errors.append(
            {"index": None, "loc": [], "msg": f"at most {MAX_IMPORT_ITEMS} annotations at once"}
        )
        return plan
    if not candidates and not plan.errors:
        plan.errors.append({"index": None, "loc": [], "msg": "no annotations found"})
    dropped: Counter[str] = Counter()
    for index, candidate in enumerate(candidates):
        try:
            if hypothesis:
                parsed = _hypothesis_row(candidate)
            elif isinstance(candidate, str):
                raise AnnotationInvalid(
                    [{"loc": [], "msg": "an annotation given by IRI only cannot be imported"}]
                )
            else:
                parsed = parse_w3c_annotation(candidate, strict=False)
        except AnnotationInvalid as exc:
            plan.errors.extend({"index": index, **error} for error in exc.errors)
            continue
        if isinstance(parsed, str):
            plan.skipped.append(ImportSkip(index=index, reason=parsed))
            continue
        dropped.update(parsed.dropped_selectors)
        plan.items.append(parsed)
    for kind, count in sorted(dropped.items()):
        plan.warnings.append(
            f"{count} {kind} selector(s) left out: Gloss anchors with TextQuoteSelector and "
            "TextPositionSelector, which were kept."
        )
    return plan
