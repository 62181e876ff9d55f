"""Schemas of glossaries, terms, term history and import reports, with the size limits."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from gloss.glossaries.surface import form_key

# Limits: every one is checked before anything is written, and answers 422 (a field too long,
# too many aliases) or 413 (a file too large, a glossary too full), never a crash.
MAX_TERM_CHARS = 200
MAX_DEFINITION_CHARS = 5_000
MAX_ALIASES = 50
MAX_TAGS = 20
MAX_TAG_CHARS = 50
MAX_URL_CHARS = 2_000
MAX_DESCRIPTION_CHARS = 2_000
MAX_TERMS_PER_GLOSSARY = 100_000
MAX_IMPORT_BYTES = 32 * 1024 * 1024

# spaCy's OntoNotes labels: what the annotator can type a name as.
ENTITY_LABELS = frozenset(
    {
        "PERSON",
        "NORP",
        "FAC",
        "ORG",
        "GPE",
        "LOC",
        "PRODUCT",
        "EVENT",
        "WORK_OF_ART",
        "LAW",
        "LANGUAGE",
        "DATE",
        "TIME",
        "PERCENT",
        "MONEY",
        "QUANTITY",
        "ORDINAL",
        "CARDINAL",
    }
)

# What XML 1.0 cannot carry (and DEL): refused everywhere. Single-line fields also refuse
# tabs and line breaks, which no matcher finds in running text anyway.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\ufffe\uffff]")

ImportFormat = Literal["csv", "json", "tbx"]
ImportMode = Literal["create", "upsert"]
SearchMatch = Literal["prefix", "substring"]


def _no_pipe(value: str) -> str:
    # CSV keeps aliases and tags in one cell split on "|"; one containing it could not
    # survive an export and import.
    if "|" in value:
        raise ValueError("must not contain '|'")
    return value


def _one_line(value: str) -> str:
    if _CONTROL_OR_BREAK.search(value):
        raise ValueError("must be one line without control characters")
    return value


def _printable(value: str) -> str:
    # Definitions keep tabs and line breaks, nothing else XML 1.0 (TBX) could not carry.
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _one_newline(value: str) -> str:
    # XML parsers turn CR LF into LF; storing LF only makes every format give back the same text.
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _unique_tags(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _entity_label(value: str | None) -> str | None:
    if value is None:
        return None
    upper = value.strip().upper()
    if not upper:
        return None
    if upper not in ENTITY_LABELS:
        raise ValueError(f"must be one of {', '.join(sorted(ENTITY_LABELS))}")
    return upper


def _web_url(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if _CONTROL_OR_BREAK.search(value) or " " in value:
        raise ValueError("must be a URL without spaces or control characters")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http or https URL")
    return value


TermText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TERM_CHARS),
    AfterValidator(_one_line),
]
AliasText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TERM_CHARS),
    AfterValidator(_no_pipe),
    AfterValidator(_one_line),
]
TagText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TAG_CHARS),
    AfterValidator(_no_pipe),
    AfterValidator(_one_line),
]
Definition = Annotated[
    str,
    AfterValidator(_one_newline),
    StringConstraints(strip_whitespace=True, max_length=MAX_DEFINITION_CHARS),
    AfterValidator(_printable),
]
Aliases = Annotated[list[AliasText], Field(max_length=MAX_ALIASES)]
Tags = Annotated[list[TagText], Field(max_length=MAX_TAGS), AfterValidator(_unique_tags)]
Url = Annotated[
    Annotated[str, StringConstraints(max_length=MAX_URL_CHARS)] | None, AfterValidator(_web_url)
]
EntityLabel = Annotated[
    str | None,
    Field(description="An OntoNotes label (ORG, PERSON, GPE...) the annotator gives this name."),
    AfterValidator(_entity_label),
]
GlossaryName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_one_line),
]
Description = (
    Annotated[
        str,
        StringConstraints(max_length=MAX_DESCRIPTION_CHARS),
        AfterValidator(_printable),
    ]
    | None
)


class GlossaryBase(BaseModel):
    name: GlossaryName
    description: Description = None


class GlossaryCreate(GlossaryBase):
    model_config = ConfigDict(extra="forbid")

    team_id: uuid.UUID | None = Field(
        None, description="The team that owns it; may be left out when you are in one team."
    )


class GlossaryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: GlossaryName | None = None
    description: Description = None

    @model_validator(mode="after")
    def _name_not_null(self) -> GlossaryUpdate:
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("name cannot be null")
        return self


class Glossary(GlossaryBase):
    id: uuid.UUID
    team_id: uuid.UUID
    version: int = Field(description="Changes with every edit of the glossary or its terms.")
    term_count: int
    created_at: datetime
    updated_at: datetime


class TermBase(BaseModel):
    term: TermText
    definition: Definition = ""
    aliases: Aliases = Field(default_factory=list)
    url: Url = None
    tags: Tags = Field(default_factory=list)
    case_sensitive: bool = False
    entity_label: EntityLabel = None

    @model_validator(mode="after")
    def _drop_repeated_aliases(self) -> TermBase:
        # An alias the matcher would see as the term itself, or as an earlier alias, adds
        # nothing; keep the first spelling.
        seen = {form_key(self.term, self.case_sensitive)}
        kept = []
        for alias in self.aliases:
            key = form_key(alias, self.case_sensitive)
            if key not in seen:
                seen.add(key)
                kept.append(alias)
        self.aliases = kept
        return self


class TermCreate(TermBase):
    model_config = ConfigDict(extra="forbid")


class TermImport(TermBase):
    """A term as a file holds it: what the API returns (ids, versions, times) is ignored."""

    model_config = ConfigDict(extra="ignore")


class TermUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    term: TermText | None = None
    definition: Definition | None = None
    aliases: Aliases | None = None
    url: Url = None
    tags: Tags | None = None
    case_sensitive: bool | None = None
    entity_label: EntityLabel = None

    @model_validator(mode="after")
    def _required_not_null(self) -> TermUpdate:
        for name in ("term", "definition", "aliases", "tags", "case_sensitive"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class Term(TermBase):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    glossary_id: uuid.UUID
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: uuid.UUID | None
    updated_by: uuid.UUID | None


class TermRevision(BaseModel):
    id: uuid.UUID
    term_id: uuid.UUID
    action: Literal["create", "update", "delete", "restore", "import"]
    before: dict[str, Any] | None = Field(description="The term before; null when created.")
    after: dict[str, Any] | None = Field(description="The term after; null when deleted.")
    glossary_version: int
    user_id: uuid.UUID | None
    user_name: str | None
    created_at: datetime


class TermRestore(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revision_id: uuid.UUID | None = Field(
        None, description="Restore the term as it was at this revision; default: before deletion."
    )


class RowError(BaseModel):
    line: int | None = Field(description="1-based line in the file where the row starts.")
    term: str | None = None
    field: str | None = None
    message: str


class ImportChange(BaseModel):
    line: int | None
    term: str
    action: Literal["create", "update"]


class ImportResult(BaseModel):
    format: ImportFormat
    mode: ImportMode
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    glossary_version: int = Field(description="The version after the import (unchanged if dry).")
    changes: list[ImportChange] = Field(
        description="What was (or would be) created or updated, the first 1000."
    )
    changes_truncated: bool = False
