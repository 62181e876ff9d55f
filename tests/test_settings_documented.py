"""Every setting is documented in docs/operations.md, so operators never have to read code."""

from __future__ import annotations

from pathlib import Path

from gloss.settings import Settings

OPERATIONS = Path(__file__).resolve().parents[1] / "docs" / "operations.md"


def test_every_setting_is_in_the_operations_guide() -> None:
    text = OPERATIONS.read_text(encoding="utf-8")
    missing = [
        f"GLOSS_{name.upper()}"
        for name in Settings.model_fields
        if f"`GLOSS_{name.upper()}`" not in text
    ]
    assert missing == [], f"document these in docs/operations.md: {missing}"
