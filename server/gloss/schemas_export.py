"""Write the JSON Schemas of the API's shared models to shared/schemas/ (`make schemas`).

The extension validates its fixtures against these files and a test fails when they drift from
the pydantic models, so the server and the extension never disagree silently."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT / "shared" / "schemas"


# --- The W3C annotation as the server renders it --------------------------------------------
# gloss.collections.presenter.present_annotation builds this JSON-LD as a dict, so there is no
# server model to export; these models describe it, and tests/test_schemas_export.py validates
# the presenter's output against them (extra="forbid": a new field there fails the test).


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
    target: AnnotationTarget
    color: str | None = Field(None, description="Gloss's extension property: the colour.")


# (file stem, "module:Model" or "module:Generic[module:Model]"): the models other programs (the
# extension, scripts) rely on.
SHARED_MODELS: list[tuple[str, str]] = [
    ("problem", "gloss.errors_schema:Problem"),
    ("me", "gloss.auth.schemas:Me"),
    ("token", "gloss.auth.schemas:Token"),
    ("team", "gloss.teams.schemas:Team"),
    ("annotate-request", "gloss.annotate.schemas:AnnotateRequest"),
    ("annotate-response", "gloss.annotate.schemas:AnnotateResponse"),
    ("card", "gloss.annotate.schemas:Card"),
    ("collection", "gloss.collections.schemas:Collection"),
    ("collection-page", "gloss.pagination:Page[gloss.collections.schemas:Collection]"),
    ("annotation", "gloss.schemas_export:Annotation"),
    ("annotation-page", "gloss.pagination:Page[gloss.schemas_export:Annotation]"),
    ("glossary", "gloss.glossaries.schemas:Glossary"),
    ("term", "gloss.glossaries.schemas:Term"),
]


def _load(target: str) -> type[BaseModel]:
    generic, _, argument = target.partition("[")
    if argument:
        # A generic model (a Page of something): "gloss.pagination:Page[module:Model]".
        return _load(generic)[_load(argument.removesuffix("]"))]  # type: ignore[index]  # pydantic generics subscript at runtime
    module_name, _, attr = target.partition(":")
    model = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"{target} is not a pydantic model")
    return model


def render_schemas() -> dict[str, str]:
    """File name -> JSON text, deterministic so the drift test can compare bytes."""
    out: dict[str, str] = {}
    for stem, target in SHARED_MODELS:
        schema: dict[str, Any] = _load(target).model_json_schema(mode="serialization")
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
        out[f"{stem}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def main() -> int:
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    rendered = render_schemas()
    for stale in SCHEMA_DIR.glob("*.schema.json"):
        if stale.name not in rendered:
            stale.unlink()
    for name, text in rendered.items():
        (SCHEMA_DIR / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(rendered)} schemas to {SCHEMA_DIR}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
