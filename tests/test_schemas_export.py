"""shared/schemas/ is exactly what the pydantic models generate (`make schemas` to refresh)."""

from __future__ import annotations

from gloss.schemas_export import SCHEMA_DIR, render_schemas


def test_shared_schemas_match_the_models() -> None:
    rendered = render_schemas()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in SCHEMA_DIR.glob("*.schema.json")}
    assert set(on_disk) == set(rendered), "run `make schemas`: schema files added or removed"
    drifted = [name for name, text in rendered.items() if on_disk[name] != text]
    assert drifted == [], f"run `make schemas`: {drifted} drifted from the pydantic models"
