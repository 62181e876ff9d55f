"""The related-article evaluation runs, beats chance clearly, and edits only its section."""

from __future__ import annotations

from pathlib import Path

from gloss.articles.evaluation import SECTION, evaluate, load_set
from gloss.nlp.evaluation import write_section


async def test_related_articles_beat_chance_on_the_labelled_set() -> None:
    articles = load_set()
    scores = {s.name: s for s in await evaluate(articles, with_entities=False)}
    lexical = scores["lexical only (more-like-this)"]
    chance = scores["random five (baseline)"]
    assert lexical.precision_at_3 >= 0.6
    assert lexical.ndcg_at_5 >= 0.7
    assert chance.precision_at_3 < 0.2


def test_write_section_keeps_the_other_sections(tmp_path: Path) -> None:
    path = tmp_path / "quality.md"
    path.write_text("# Quality\n\n## Entities\n\nF1 0.8\n", encoding="utf-8")
    write_section(path, f"{SECTION}\n\nP@3 0.7", SECTION)
    write_section(path, f"{SECTION}\n\nP@3 0.9", SECTION)
    text = path.read_text(encoding="utf-8")
    assert "## Entities\n\nF1 0.8" in text
    assert text.count(SECTION) == 1
    assert "P@3 0.9" in text
    assert "P@3 0.7" not in text
