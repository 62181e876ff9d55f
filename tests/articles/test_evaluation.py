"""The related-article evaluation runs, beats chance clearly, and edits only its section; the
Lee set is read out of its wheel, checked by hash, and judged with the gains docs/quality.md
states."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from gloss.articles import lee
from gloss.articles.evaluation import (
    SECTION,
    Judged,
    Page,
    evaluate,
    folds_of,
    load_set,
    ndcg,
    render,
    tfidf_matrix,
    weight_grid,
)
from gloss.nlp.evaluation import write_section


async def test_related_articles_beat_chance_on_the_labelled_set() -> None:
    articles = load_set()
    report = await evaluate(articles, None, with_entities=False)
    scores = {s.name: s for s in report.own}
    lexical = scores["lexical only (more-like-this)"]
    chance = scores["random five (baseline)"]
    tfidf = scores["plain TF-IDF cosine (baseline)"]
    assert lexical.precision_at_3 >= 0.6
    assert lexical.ndcg_at_5 >= 0.7
    assert tfidf.ndcg_at_5 >= 0.7
    assert chance.precision_at_3 < 0.2
    assert report.lee == []
    assert report.folds == []
    assert "## Related articles" in render(report, articles)


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


def _fake_wheel(path: Path, texts: list[str], upper: np.ndarray) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("gensim/test/test_data/lee.cor", "\n".join(texts).encode("latin-1"))
        rows = ["\t".join(f"{v:g}" for v in row) for row in upper]
        archive.writestr("gensim/test/test_data/similarities0-1.txt", "\n".join(rows) + "\n")
    return path


def test_the_lee_set_is_read_from_the_wheel_and_made_symmetric(tmp_path: Path) -> None:
    texts = [f"Text number {i} about caf\u00e9s." for i in range(50)]
    upper = np.triu(np.full((50, 50), 0.2)) + np.triu(np.eye(50) * 0.8)
    upper[3, 7] = 0.9
    found = lee.load(_fake_wheel(tmp_path / "fake.whl", texts, upper))
    assert found.texts[0] == "Text number 0 about caf\u00e9s."
    assert found.ratings[7, 3] == found.ratings[3, 7] == pytest.approx(0.9)
    # Gains: "not similar at all" (0.2) gains 0, "highly similar" (1.0) gains 1.
    assert found.gain(3, 7) == pytest.approx(0.875)
    assert found.gain(7, 3) == pytest.approx(0.875)
    assert found.gain(1, 2) == 0.0


def test_a_wheel_with_another_hash_is_refused(tmp_path: Path) -> None:
    (tmp_path / lee.WHEEL).write_bytes(b"not the wheel")
    with pytest.raises(RuntimeError, match="sha256"):
        lee.fetch_wheel(tmp_path)


def test_ndcg_is_one_for_the_ideal_order_and_leaves_the_query_out() -> None:
    assert ndcg([1.0, 0.5], [0.5, 1.0, 0.0]) == pytest.approx(1.0)
    assert ndcg([0.0, 1.0], [1.0, 0.0]) < 1.0
    pages = [Page(f"https://x.example/{i}", "", f"text {i}", None) for i in range(4)]
    judged = Judged(pages, lambda q, j: 1.0 if j == q else (0.5 if abs(q - j) == 1 else 0.0))
    # The query itself (gain 1) is not in the ideal: the two neighbours are.
    assert judged.ndcg(1, [pages[0].url, pages[2].url]) == pytest.approx(1.0)
    with pytest.raises(AssertionError):
        judged.ndcg(1, [pages[1].url])


def test_tfidf_and_the_grid_and_the_folds() -> None:
    pages = [
        Page("a", "", "nvidia chips export", None),
        Page("b", "", "nvidia chips sales", None),
        Page("c", "", "rain drought farmers", None),
    ]
    matrix = tfidf_matrix(pages)
    assert matrix[0, 1] > matrix[0, 2]
    assert np.allclose(np.diag(matrix), 1.0)
    grid = weight_grid(0.5)
    assert len(grid) == 6
    assert all(abs(w.dense + w.lexical + w.entities - 1) < 1e-9 for w in grid)
    folds = folds_of(list(range(25)), 5)
    assert sorted(q for f in folds for q in f) == list(range(25))
    assert all(len(f) == 5 for f in folds)
