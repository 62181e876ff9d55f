"""shared/schemas/ is exactly what the pydantic models generate (`make schemas` to refresh)."""

from __future__ import annotations

from gloss.schemas_export import SCHEMA_DIR, render_schemas


def test_shared_schemas_match_the_models() -> None:
    rendered = render_schemas()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in SCHEMA_DIR.glob("*.schema.json")}
    assert set(on_disk) == set(rendered), "run `make schemas`: schema files added or removed"
    drifted = [name for name, text in rendered.items() if on_disk[name] != text]
    assert drifted == [], f"run `make schemas`: {drifted} drifted from the pydantic models"


def test_the_w3c_annotation_schema_describes_what_the_presenter_renders() -> None:
    # The presenter builds a dict, not a model: the exported Annotation must accept (and only
    # accept, extra="forbid") what it renders, with every optional part present and absent.
    import uuid
    from datetime import UTC, datetime

    from gloss.collections.presenter import Iris, present_annotation
    from gloss.collections.schemas import Annotation as AnnotationSchema
    from gloss.models import Annotation, User

    now = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    full = Annotation(
        id=uuid.uuid4(),
        collection_id=uuid.uuid4(),
        target_source="https://example.org/a",
        selectors=[
            {"type": "TextQuoteSelector", "exact": "cost", "prefix": "the ", "suffix": " of"},
            {"type": "TextPositionSelector", "start": 4, "end": 8},
        ],
        motivation="commenting",
        text="a note",
        tags=["ai", "cost"],
        color="green",
        created_at=now,
        updated_at=now,
    )
    bare = Annotation(
        id=uuid.uuid4(),
        collection_id=uuid.uuid4(),
        target_source="https://example.org/b",
        selectors=[],
        motivation="highlighting",
        text=None,
        tags=[],
        color=None,
        created_at=now,
        updated_at=now,
    )
    creator = User(id=uuid.uuid4(), name="alice", display_name="Alice")
    iris = Iris("http://gloss.test")
    for annotation, user in ((full, creator), (bare, None)):
        doc = present_annotation(annotation, user, iris)
        assert (
            AnnotationSchema.model_validate(doc).model_dump(by_alias=True, exclude_none=True) == doc
        )
