"""Schemas of collections and share links, the W3C annotation as served, and the parser of
incoming W3C annotations."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field

from gloss.models import Role

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
LDP_CONTEXT = "http://www.w3.org/ns/ldp.jsonld"

# Bounds on what one annotation may carry; a highlight is a passage, not a document.
MAX_URL_CHARS = 2048
MAX_EXACT_CHARS = 10_000
MAX_CONTEXT_INPUT_CHARS = 1_000
CONTEXT_CHARS = 32  # prefix/suffix kept, as the Hypothesis client does
MAX_POSITION = 100_000_000
MAX_NOTE_CHARS = 20_000
MAX_TAGS = 32
MAX_TAG_CHARS = 100
MAX_COLOR_CHARS = 32
MAX_TITLE_CHARS = 1000

MOTIVATIONS = ("highlighting", "commenting")
SELECTOR_TYPES = ("TextQuoteSelector", "TextPositionSelector")
_COLOR = re.compile(r"^(#[0-9a-f]{3}|#[0-9a-f]{6}|[a-z]{3,20})$")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# Schemes that run code or embed content where a link is followed; never a page to annotate.
_SCRIPT_SCHEMES = {"javascript", "vbscript", "data", "blob"}
# Characters left as they are when a source URL is made a valid URI (RFC 3986 reserved and
# unreserved, and '%' so existing escapes stay); everything else is percent-encoded.
_URI_SAFE = "!#$%&'()*+,/:;=?@[]~-._"

# --- The W3C annotation as the server renders it ----------------------------------------------
# gloss.collections.presenter.present_annotation builds this JSON-LD as a dict (fast, and in the
# JSON-LD key order readers expect); these models are its contract, exported to shared/schemas,
# and tests/test_schemas_export.py validates the presenter's output against them
# (extra="forbid": a field the models do not name fails the test).


class _W3C(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TextQuoteSelector(_W3C):
    type: Literal["TextQuoteSelector"]
    exact: str
    prefix: str | None = None
    suffix: str | None = None


class TextPositionSelector(_W3C):
    type: Literal["TextPositionSelector"]
    start: int = Field(description="UTF-16 offset into the page's text, as the browser counts.")
    end: int


Selector = Annotated[TextQuoteSelector | TextPositionSelector, Field(discriminator="type")]


class TextualBody(_W3C):
    type: Literal["TextualBody"]
    value: str
    purpose: Literal["commenting", "tagging"]
    format: Literal["text/plain"] | None = None


class AnnotationTarget(_W3C):
    type: Literal["SpecificResource"]
    source: str = Field(description="The page's URL.")
    title: str | None = Field(None, description="Gloss's extension property: the page's title.")
    selector: list[Selector] | None = None


class AnnotationCreator(_W3C):
    id: str
    type: Literal["Person"]
    nickname: str
    name: str | None = None


class Annotation(_W3C):
    """One stored annotation (W3C Web Annotation JSON-LD), as GET, POST and search answer it."""

    context: str = Field(alias="@context")
    id: str = Field(description="The annotation's IRI.")
    type: Literal["Annotation"]
    motivation: Literal["highlighting", "commenting"]
    creator: AnnotationCreator | None = None
    created: str
    modified: str
    body: list[TextualBody] | None = Field(None, description="The note, then one body a tag.")
    target: AnnotationTarget | str = Field(
        description="As it was sent: a SpecificResource, or the page's IRI alone."
    )
    canonical: str | None = Field(None, description="The client's canonical IRI, as sent.")
    via: str | None = Field(None, description="The id the client's document had, as sent.")
    color: str | None = Field(None, description="Gloss's extension property: the colour.")


CollectionName = Field(min_length=1, max_length=200, pattern=r"^\S(?:.*\S)?$")


class CollectionBase(BaseModel):
    name: str = CollectionName


class CollectionCreate(CollectionBase):
    model_config = ConfigDict(extra="forbid")

    team_id: uuid.UUID | None = Field(
        None, description="The team that shares the collection; null makes it private."
    )


class CollectionUpdate(BaseModel):
    """Rename, or move to another of my teams (`team_id`; null makes it private)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200, pattern=r"^\S(?:.*\S)?$")
    team_id: uuid.UUID | None = None


class Collection(CollectionBase):
    id: uuid.UUID
    team_id: uuid.UUID | None
    private: bool = Field(description="Only its owner sees a private collection.")
    owner_id: uuid.UUID = Field(description="Who created the collection.")
    role: Role = Field(description="The caller's role for this collection.")
    can_manage: bool = Field(description="Whether the caller may rename, move or delete it.")
    total: int = Field(description="How many annotations it holds.")
    annotations_url: str = Field(description="The W3C Web Annotation Protocol container.")
    created_at: datetime
    updated_at: datetime


class ShareLink(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    prefix: str = Field(description="The first characters of the key, to recognise it.")
    created_at: datetime
    revoked_at: datetime | None


class ShareLinkCreated(ShareLink):
    url: str = Field(description="The share page with its key; shown this once.")


class ImportSkip(BaseModel):
    index: int
    reason: str


class ImportReport(BaseModel):
    format: Literal["w3c", "hypothesis"]
    imported: int
    skipped: list[ImportSkip] = Field(
        default_factory=list, description="Items that are not highlights (e.g. replies)."
    )
    warnings: list[str] = Field(default_factory=list)
    ids: list[str] = Field(default_factory=list, description="IRIs of the new annotations.")


# --- Incoming annotations -------------------------------------------------------------------


@dataclass
class AnnotationData:
    """A validated annotation, ready to store; what every input format is parsed into."""

    source: str
    selectors: list[dict[str, Any]]
    motivation: str
    text: str | None
    tags: list[str]
    color: str | None
    created: datetime | None = None
    modified: datetime | None = None
    dropped_selectors: list[str] = field(default_factory=list)
    title: str | None = None  # the page's title, when the client sent it
    target_is_iri: bool = False  # the target was a plain IRI
    canonical: str | None = None
    sent_id: str | None = None  # the id the client's document carried

    @property
    def quote(self) -> str | None:
        for selector in self.selectors:
            if selector["type"] == "TextQuoteSelector":
                return str(selector["exact"])
        return None


@dataclass
class AnnotationInvalid(Exception):
    """What is wrong with an incoming annotation: a list of {loc, msg}."""

    errors: list[dict[str, Any]]

    def __str__(self) -> str:
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in self.errors)


class Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, loc: tuple[str | int, ...], msg: str) -> None:
        self.items.append({"loc": list(loc), "msg": msg})


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def types_of(obj: dict[str, Any]) -> list[str]:
    return [t for t in as_list(obj.get("type")) if isinstance(t, str)]


def clean_source(value: Any, errors: Errors, loc: tuple[str | int, ...]) -> str | None:
    """An absolute URI for the page; non-ASCII and spaces percent-encoded so it stays a URI."""
    if not isinstance(value, str) or not value.strip():
        errors.add(loc, "the target's source must be the page's URL")
        return None
    value = value.strip()
    if any(ord(c) < 32 or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF for c in value):
        errors.add(loc, "the URL contains control characters or lone surrogates")
        return None
    value = quote(value, safe=_URI_SAFE)
    if len(value) > MAX_URL_CHARS:
        errors.add(loc, f"the URL is longer than {MAX_URL_CHARS} characters")
        return None
    try:
        parts = urlsplit(value)
    except ValueError as exc:  # e.g. "Invalid IPv6 URL" for http://[x/
        errors.add(loc, f"the URL is not valid: {exc}")
        return None
    if not _SCHEME.match(value) or not (parts.netloc or parts.path):
        errors.add(loc, "the URL must be absolute (https://...)")
        return None
    if parts.scheme.lower() in _SCRIPT_SCHEMES:
        errors.add(loc, f"a {parts.scheme}: URL is not a page")
        return None
    return value


def parse_text(value: Any, limit: int, errors: Errors, loc: tuple[str | int, ...]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors.add(loc, "must be a string")
        return None
    if len(value) > limit:
        errors.add(loc, f"is longer than {limit} characters")
        return None
    return value


def _selector(
    raw: Any, errors: Errors, loc: tuple[str | int, ...], dropped: list[str]
) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        errors.add(loc, "a selector must be an object")
        return None
    kinds = types_of(raw)
    if "TextQuoteSelector" in kinds:
        exact = raw.get("exact")
        if not isinstance(exact, str) or not exact:
            errors.add((*loc, "exact"), "the quote must be a non-empty string")
            return None
        if len(exact) > MAX_EXACT_CHARS:
            errors.add((*loc, "exact"), f"the quote is longer than {MAX_EXACT_CHARS} characters")
            return None
        prefix = parse_text(raw.get("prefix"), MAX_CONTEXT_INPUT_CHARS, errors, (*loc, "prefix"))
        suffix = parse_text(raw.get("suffix"), MAX_CONTEXT_INPUT_CHARS, errors, (*loc, "suffix"))
        selector: dict[str, Any] = {"type": "TextQuoteSelector", "exact": exact}
        # Only the context next to the quote helps re-anchoring; keep as much as clients send.
        if prefix:
            selector["prefix"] = prefix[-CONTEXT_CHARS:]
        if suffix:
            selector["suffix"] = suffix[:CONTEXT_CHARS]
        return selector
    if "TextPositionSelector" in kinds:
        start, end = raw.get("start"), raw.get("end")
        ok = True
        for name, value in (("start", start), ("end", end)):
            if isinstance(value, bool) or not isinstance(value, int):
                errors.add((*loc, name), "must be an integer")
                ok = False
            elif not 0 <= value <= MAX_POSITION:
                errors.add((*loc, name), f"must be between 0 and {MAX_POSITION}")
                ok = False
        if ok and start > end:  # type: ignore[operator]  # both are ints once ok holds
            errors.add(loc, "start must not be after end")
            ok = False
        return {"type": "TextPositionSelector", "start": start, "end": end} if ok else None
    dropped.append(kinds[0] if kinds else "untyped")
    return None


def parse_selectors(
    raw: Any, errors: Errors, loc: tuple[str | int, ...], *, strict: bool
) -> tuple[list[dict[str, Any]], list[str]]:
    selectors: list[dict[str, Any]] = []
    dropped: list[str] = []
    for i, item in enumerate(as_list(raw)):
        found = _selector(item, errors, (*loc, i), dropped)
        if found is not None:
            if any(s["type"] == found["type"] for s in selectors):
                errors.add((*loc, i), f"more than one {found['type']}")
                continue
            selectors.append(found)
    if dropped and strict:
        errors.add(loc, f"only {' and '.join(SELECTOR_TYPES)} are supported, not {dropped[0]}")
    return selectors, dropped


def parse_tags(raw: Any, errors: Errors, loc: tuple[str | int, ...]) -> list[str]:
    tags: list[str] = []
    for i, tag in enumerate(as_list(raw)):
        if not isinstance(tag, str) or not tag.strip():
            errors.add((*loc, i), "a tag must be a non-empty string")
            continue
        tag = tag.strip()
        if len(tag) > MAX_TAG_CHARS or any(ord(c) < 32 for c in tag):
            errors.add((*loc, i), f"a tag is one line of at most {MAX_TAG_CHARS} characters")
            continue
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        errors.add(loc, f"at most {MAX_TAGS} tags")
    return tags


def parse_color(raw: Any, errors: Errors, loc: tuple[str | int, ...]) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not _COLOR.match(raw.strip().lower()):
        errors.add(loc, "a colour is #rgb, #rrggbb or a CSS colour name")
        return None
    return raw.strip().lower()


def parse_time(raw: Any, errors: Errors, loc: tuple[str | int, ...]) -> datetime | None:
    """An ISO 8601 date-time, in UTC; one outside years 1 to 9999 once in UTC is an error."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        errors.add(loc, "must be an ISO 8601 date-time")
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except ValueError:
        errors.add(loc, "must be an ISO 8601 date-time")
    except OverflowError:
        errors.add(loc, "is outside the years 1 to 9999 in UTC")
    return None


def finish(
    errors: Errors,
    *,
    source: str | None,
    selectors: list[dict[str, Any]],
    motivation: str | None,
    note: str | None,
    tags: list[str],
    color: str | None,
    created: datetime | None = None,
    modified: datetime | None = None,
    dropped: list[str] | None = None,
    title: str | None = None,
    target_is_iri: bool = False,
    canonical: str | None = None,
    sent_id: str | None = None,
) -> AnnotationData:
    """Settle the motivation and raise AnnotationInvalid if anything was wrong."""
    if note is not None and not note.strip():
        note = None
    if motivation is None:
        motivation = "commenting" if note else "highlighting"
    elif motivation not in MOTIVATIONS:
        errors.add(("motivation",), f"must be one of {', '.join(MOTIVATIONS)}")
    if motivation == "commenting" and not note:
        errors.add(("body",), "a commenting annotation needs a note (a TextualBody)")
    if errors.items or source is None:
        raise AnnotationInvalid(errors.items or [{"loc": ["target"], "msg": "missing"}])
    return AnnotationData(
        source=source,
        selectors=selectors,
        motivation=motivation,
        text=note,
        tags=tags,
        color=color,
        created=created,
        modified=modified,
        dropped_selectors=dropped or [],
        title=title,
        target_is_iri=target_is_iri,
        canonical=canonical,
        sent_id=sent_id,
    )


def parse_iri(value: Any, errors: Errors, loc: tuple[str | int, ...]) -> str | None:
    """An IRI kept as the client sent it: a string with a scheme, no white space or control
    characters, at most MAX_URL_CHARS characters."""
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or not _SCHEME.match(value)
        or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value)
    ):
        errors.add(loc, "must be an IRI")
        return None
    if len(value) > MAX_URL_CHARS:
        errors.add(loc, f"is longer than {MAX_URL_CHARS} characters")
        return None
    return value


def parse_title(value: Any, errors: Errors, loc: tuple[str | int, ...]) -> str | None:
    """A page title: one line of text (runs of white space, line breaks included, become one
    space), without control characters; empty is none."""
    text = parse_text(value, MAX_TITLE_CHARS, errors, loc)
    if text is None:
        return None
    text = " ".join(text.split())
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        errors.add(loc, "must not contain control characters")
        return None
    return text or None


def parse_w3c_annotation(doc: Any, *, strict: bool = True) -> AnnotationData:
    """A W3C Web Annotation (JSON-LD, compacted with the anno.jsonld context) as Gloss stores
    it. `strict` refuses selector types Gloss cannot anchor; imports drop them instead."""
    errors = Errors()
    if not isinstance(doc, dict):
        raise AnnotationInvalid([{"loc": [], "msg": "an annotation must be a JSON object"}])
    context = doc.get("@context")
    if context is not None and ANNO_CONTEXT not in as_list(context):
        errors.add(("@context",), f"must be (or include) {ANNO_CONTEXT}")
    if "Annotation" not in types_of(doc):
        errors.add(("type",), "must be Annotation")

    motivations = [m for m in as_list(doc.get("motivation")) if isinstance(m, str)]
    motivations = [m.removeprefix("oa:") for m in motivations]
    motivation = next((m for m in motivations if m in MOTIVATIONS), None)
    if motivation is None and motivations and motivations != ["tagging"]:
        errors.add(("motivation",), f"must be one of {', '.join(MOTIVATIONS)}")

    note: str | None = None
    tags_raw: list[Any] = []
    if "bodyValue" in doc:
        note = parse_text(doc.get("bodyValue"), MAX_NOTE_CHARS, errors, ("bodyValue",))
    for i, body in enumerate(as_list(doc.get("body"))):
        loc: tuple[str | int, ...] = ("body", i)
        if not isinstance(body, dict) or not isinstance(body.get("value"), str):
            errors.add(loc, "a body must be a TextualBody with a string value")
            continue
        kinds = types_of(body)
        if kinds and "TextualBody" not in kinds:
            errors.add((*loc, "type"), "only TextualBody bodies are supported")
            continue
        purposes = [
            p.removeprefix("oa:") for p in as_list(body.get("purpose")) if isinstance(p, str)
        ]
        if "tagging" in purposes:
            tags_raw.append(body["value"])
        elif note is not None:
            errors.add(loc, "only one note body is supported")
        else:
            note = parse_text(body["value"], MAX_NOTE_CHARS, errors, (*loc, "value"))

    targets = as_list(doc.get("target"))
    source: str | None = None
    selectors: list[dict[str, Any]] = []
    dropped: list[str] = []
    title: str | None = None
    target_is_iri = False
    if len(targets) != 1:
        errors.add(("target",), "an annotation needs exactly one target")
    else:
        target = targets[0]
        if isinstance(target, str):
            source = clean_source(target, errors, ("target",))
            target_is_iri = True
        elif isinstance(target, dict):
            raw_source = target.get("source", target.get("id"))
            if isinstance(raw_source, dict):
                raw_source = raw_source.get("id")
            source = clean_source(raw_source, errors, ("target", "source"))
            selectors, dropped = parse_selectors(
                target.get("selector"), errors, ("target", "selector"), strict=strict
            )
            title = parse_title(target.get("title"), errors, ("target", "title"))
        else:
            errors.add(("target",), "must be a URL or an object with source and selector")

    return finish(
        errors,
        source=source,
        selectors=selectors,
        motivation=motivation,
        note=note,
        tags=parse_tags(tags_raw, errors, ("body",)),
        color=parse_color(doc.get("color"), errors, ("color",)),
        created=parse_time(doc.get("created"), errors, ("created",)),
        modified=parse_time(doc.get("modified"), errors, ("modified",)),
        dropped=dropped,
        title=title,
        target_is_iri=target_is_iri,
        canonical=parse_iri(doc.get("canonical"), errors, ("canonical",)),
        sent_id=parse_iri(doc.get("id"), errors, ("id",)),
    )
