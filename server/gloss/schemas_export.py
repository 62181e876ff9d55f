"""Write the JSON Schemas of the API's shared models to shared/schemas/ (`make schemas`).

The extension validates its fixtures against these files and a test fails when they drift from
the pydantic models, so the server and the extension never disagree silently."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT / "shared" / "schemas"


# (file stem, "module:Model" or "module:Generic[module:Model]"): the models other programs (the
# extension, scripts) rely on.
SHARED_MODELS: list[tuple[str, str]] = [
    ("problem", "gloss.errors_schema:Problem"),
    ("me", "gloss.auth.schemas:Me"),
    ("token", "gloss.auth.schemas:Token"),
    ("team", "gloss.teams.schemas:Team"),
    ("invitation", "gloss.teams.schemas:Invitation"),
    ("annotate-request", "gloss.annotate.schemas:AnnotateRequest"),
    ("annotate-response", "gloss.annotate.schemas:AnnotateResponse"),
    ("card", "gloss.annotate.schemas:Card"),
    ("collection", "gloss.collections.schemas:Collection"),
    ("collection-page", "gloss.pagination:Page[gloss.collections.schemas:Collection]"),
    ("annotation", "gloss.collections.schemas:Annotation"),
    ("annotation-page", "gloss.pagination:Page[gloss.collections.schemas:Annotation]"),
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
