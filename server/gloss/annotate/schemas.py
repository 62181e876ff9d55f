"""Schemas of POST /v1/annotate and the hover card (product.md's contract)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gloss.articles.schemas import RelatedArticle, SubjectKnowledge

OffsetUnit = Literal["utf16", "codepoint"]
Include = Literal["entities", "terms", "related"]
ALL_INCLUDES: tuple[Include, ...] = ("entities", "terms", "related")


class AnnotateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The page's visible text. Over the server's limit: 413.")
    url: str | None = Field(None, max_length=4096, description="The page's URL.")
    title: str | None = Field(None, max_length=1000)
    glossary_ids: list[uuid.UUID] | None = Field(
        None, max_length=200, description="Default: every glossary of the caller's teams."
    )
    include: list[Include] | None = Field(None, description="Default: all three.")
    offsets: OffsetUnit = Field("utf16", description="The unit of start/end in the response.")
    related_limit: int = Field(5, ge=0, le=50)
    priority: Literal["visible", "background"] = Field(
        "visible",
        description="`visible`: text on the reader's screen, read before any `background` "
        "text (the rest of a long page, sent after). Of a long visible text, only the first "
        "blocks count as visible.",
    )


class Entity(BaseModel):
    start: int
    end: int
    text: str
    label: str = Field(description="spaCy's OntoNotes label: PERSON, ORG, GPE, ...")
    key: str = Field(description="The name's identity across pages; pass to the card route.")


class TermHit(BaseModel):
    start: int
    end: int
    text: str
    term_id: uuid.UUID
    glossary_id: uuid.UUID
    term: str
    definition: str
    url: str | None


class ModelInfo(BaseModel):
    name: str
    version: str


class PendingGlossary(BaseModel):
    """A glossary whose newest version the server is still preparing (a large glossary is
    compiled in the background)."""

    glossary_id: uuid.UUID
    version: int = Field(description="The glossary's newest version, not yet applied.")
    served_version: int | None = Field(
        description="The version whose terms this answer has; null: none of its terms yet."
    )


class AnnotateResponse(BaseModel):
    offsets: OffsetUnit
    text_sha256: str
    entities: list[Entity]
    terms: list[TermHit]
    pending_glossaries: list[PendingGlossary] = Field(
        default_factory=list,
        description="Glossaries whose newest version is still being prepared: `terms` has "
        "their `served_version`. Ask again later for the newest. Empty as a rule.",
    )
    related: list[RelatedArticle]
    model: ModelInfo
    elapsed_ms: float


class CardTerm(BaseModel):
    term_id: uuid.UUID
    glossary_id: uuid.UUID
    glossary_name: str
    term: str
    definition: str
    aliases: list[str]
    url: str | None
    tags: list[str]
    entity_label: str | None


class Card(BaseModel):
    """What the hover card shows for one term or entity."""

    kind: Literal["term", "entity"]
    title: str
    label: str | None = Field(None, description="The entity label, for an entity.")
    term: CardTerm | None = Field(
        None, description="The glossary entry (for a term, or an entity the glossary knows)."
    )
    knowledge: SubjectKnowledge | None = Field(
        None, description="For an entity: what the team's stored articles say of it."
    )
    related: list[RelatedArticle] = Field(
        description="Stored articles about the subject (never the page itself); may be empty."
    )
