"""Pure ranking pieces: analysis, duplicate fingerprints, term selection, re-ranking."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gloss.nlp import ranking as r

NOW = datetime(2026, 11, 29, tzinfo=UTC)


def test_tokens_split_like_the_indexes() -> None:
    assert r.tokens("Huawei's AI-chips, 3.5% of_all") == [
        "huawei", "s", "ai", "chips", "3", "5", "of", "all"
    ]  # fmt: skip
    assert r.content_words("The said Huawei's 2026 AI chips") == ["huawei", "ai", "chips"]


def test_content_hash_ignores_case_space_and_punctuation() -> None:
    assert r.content_hash("Hello,  World!") == r.content_hash("hello world")
    assert r.content_hash("hello world") != r.content_hash("hello there world")


def test_minhash_bands_meet_for_near_duplicates_only() -> None:
    text = " ".join(f"word{i}" for i in range(200))
    edited = text.replace("word50", "changed") + " updated at noon"
    other = " ".join(f"other{i}" for i in range(200))
    a, b, c = (r.shingles(t) for t in (text, edited, other))
    assert r.jaccard(a, b) > r.NEAR_DUPLICATE_JACCARD
    assert set(r.minhash_bands(a)) & set(r.minhash_bands(b))
    assert not set(r.minhash_bands(a)) & set(r.minhash_bands(c))
    assert r.minhash_bands(a) == r.minhash_bands(set(a))  # deterministic
    assert all(0 <= band < 2**31 for band in r.minhash_bands(a))


def test_variants_pair_singular_and_plural() -> None:
    assert r.variants("wafer") == ("wafer", "wafers")
    assert r.variants("wafers") == ("wafers", "wafer")
    assert r.variants("economies") == ("economies", "economy")
    assert r.variants("policy") == ("policy", "policies")
    assert r.variants("crisis") == ("crisis", "crises")
    assert r.variants("2026") == ("2026",)


def test_select_terms_prefers_rare_words_and_skips_unknown_and_common() -> None:
    frequencies = Counter({"huawei": 3, "government": 5, "zzz": 9, "accelerator": 2})
    selected = r.select_terms(
        frequencies,
        {"huawei": 10, "government": 900, "accelerator": 30},
        total_documents=1000,
        limit=10,
    )
    assert [t for t, _ in selected] == ["huawei", "accelerator"]


def test_salience_favours_the_title_and_the_first_mention() -> None:
    spans = [
        r.MentionSpan("entity", "huawei", "ORG", "Huawei", 0),
        r.MentionSpan("entity", "huawei", "ORG", "Huawei", 120),
        r.MentionSpan("entity", "berlin", "GPE", "Berlin", 900),
    ]
    summary = {m.key: m for m in r.summarise_mentions(spans, title_length=40, text_length=1000)}
    assert summary["huawei"].count == 2
    assert summary["huawei"].salience > summary["berlin"].salience
    assert 0 <= summary["berlin"].salience <= 1


def test_rerank_mixes_lexical_entities_and_recency_into_0_to_1() -> None:
    candidates = {
        "lexical": r.Candidate(10.0, {}, NOW - timedelta(days=30)),
        "entities": r.Candidate(4.0, {"huawei": 0.9, "nvidia": 0.8}, NOW - timedelta(days=30)),
        "old": r.Candidate(4.0, {"huawei": 0.9, "nvidia": 0.8}, NOW - timedelta(days=3000)),
    }
    ranked = r.rerank(candidates, ["huawei", "nvidia"], NOW)
    order = [k for k, _ in ranked]
    assert order.index("entities") < order.index("old")
    assert all(0 <= s <= 1 for _, s in ranked)
    assert r.rerank({}, [], NOW) == []


def test_rerank_mixes_in_the_vectors_similarity_where_known() -> None:
    week_old = NOW - timedelta(days=7)
    candidates = {
        "words": r.Candidate(10.0, {}, week_old, similarity=0.1),
        "meaning": r.Candidate(7.0, {}, week_old, similarity=0.9),
        "unknown": r.Candidate(8.0, {}, week_old, similarity=None),
        "opposite": r.Candidate(9.0, {}, week_old, similarity=-0.4),
    }
    without = dict(r.rerank(candidates, [], NOW, replace(r.DEFAULT_WEIGHTS, dense=0.0)))
    assert max(without, key=without.__getitem__) == "words"
    mixed = dict(r.rerank(candidates, [], NOW))
    w = r.DEFAULT_WEIGHTS.dense
    assert mixed["meaning"] == pytest.approx((1 - w) * without["meaning"] + w * 0.9, abs=1e-4)
    assert mixed["meaning"] > mixed["words"]
    # No vector: the score without one. A negative cosine counts as no similarity at all.
    assert mixed["unknown"] == without["unknown"]
    assert mixed["opposite"] == pytest.approx((1 - w) * without["opposite"], abs=1e-4)
    assert all(0 <= s <= 1 for s in mixed.values())


def test_key_ranking_orders_by_salience_then_recency() -> None:
    ranked = r.key_ranking(
        [("a", 0.9, NOW - timedelta(days=800)), ("b", 0.9, NOW), ("c", 0.2, NOW)], NOW
    )
    assert [k for k, _ in ranked] == ["b", "a", "c"]


def test_snippet_cuts_at_a_word() -> None:
    assert r.snippet("short text") == "short text"
    long = "word " * 100
    cut = r.snippet(long, 50)
    assert cut.endswith("…")
    assert len(cut) <= 51
    assert "wor…" not in cut


_WORDS = st.sampled_from("the chip wafer plant export rule cut price grid deal".split())


@given(
    opening=st.lists(_WORDS, max_size=40).map(" ".join),
    page=st.lists(_WORDS, max_size=80).map(" ".join),
    threshold=st.sampled_from([0.0, 0.3, 0.5, 0.7, 1.0]),
)
def test_contained_decides_as_the_full_containment_does(
    opening: str, page: str, threshold: float
) -> None:
    # The early exit never changes the answer, on texts with repeated shingles too.
    whole = r.shingles(page)
    assert r.contained(opening, whole, threshold) == (
        r.containment(r.shingles(opening), whole) >= threshold
    )


def test_contained_finds_a_copy_and_rejects_another_story() -> None:
    page = "Chipmakers raised wafer prices again as export rules tightened across the region."
    whole = r.shingles(page)
    assert r.contained("Chipmakers raised wafer prices again as export rules", whole, 0.7)
    assert not r.contained("Farmers sold more grain as the rains came early", whole, 0.7)


@given(title=st.text(max_size=40), text=st.text(max_size=300))
def test_a_page_split_once_gives_what_each_function_gives(title: str, text: str) -> None:
    page = r.PageText.of(title, text)
    assert page.content_hash() == r.content_hash(text)
    assert page.shingles() == r.shingles(text)
    assert page.term_frequencies() == r.term_frequencies(title, text)
    assert page.shingles() is page.shingles()  # computed once


_PAGE_WORDS = st.one_of(
    st.sampled_from("chip chips policy policies bank banks fox foxes crisis crises".split()),
    st.text(alphabet="abcdefgh", min_size=2, max_size=4),
)


@settings(max_examples=500)
@given(
    title=st.lists(_PAGE_WORDS, max_size=6).map(" ".join),
    text=st.lists(_PAGE_WORDS, min_size=50, max_size=300).map(" ".join),
    data=st.data(),
    total=st.integers(1, 500),
)
def test_terms_are_selected_from_the_candidates_alone_as_from_every_word(
    title: str, text: str, data: st.DataObject, total: int
) -> None:
    """The index is asked only about the candidate terms, so the other words of the page
    cannot be selected: leaving them out of `select_terms` changes nothing."""
    page = r.PageText.of(title, text)
    asked, counts = page.candidates()
    document_frequencies = {t: data.draw(st.integers(0, 60)) for t in asked}
    assert r.select_terms(counts, document_frequencies, total) == r.select_terms(
        page.term_frequencies(), document_frequencies, total
    )
    assert page.candidates() is page.candidates()


@pytest.mark.parametrize(
    ("text", "surface", "expected"),
    [
        (
            "Rates rose. Lagarde said the council would wait. Markets fell.",
            "Lagarde",
            "Lagarde said the council would wait.",
        ),
        # A whole word only: "Ann" is not in "Annual".
        ("Annual report out. Ann signed it!", "Ann", "Ann signed it!"),
        # A line break ends a sentence (a heading, a caption).
        ("Nvidia earnings\nShares of Nvidia rose 3%", "Nvidia", "Nvidia earnings"),
        (
            'Shares rose.\n  Nvidia said so, quoting "record" demand.',
            "Nvidia",
            'Nvidia said so, quoting "record" demand.',
        ),
        ("Nobody is named here.", "Nvidia", None),
        ("Anything.", "  ", None),
    ],
)
def test_sentence_naming(text: str, surface: str, expected: str | None) -> None:
    assert r.sentence_naming(text, surface) == expected


def test_a_long_sentence_is_cut_around_the_name() -> None:
    text = "Before " + "word " * 100 + "then Lagarde spoke " + "again " * 100 + "end."
    found = r.sentence_naming(text, "Lagarde", limit=80)
    assert found is not None
    assert "Lagarde" in found
    assert len(found) <= 82
    assert found.startswith("…")
    assert found.endswith("…")


def test_the_score_is_the_weighted_mean_of_its_signals() -> None:
    weights = r.Weights(dense=0.6, lexical=0.3, entities=0.1, recency=0.0)
    candidates = {
        "best-words": r.Candidate(8.0, {"nvidia": 1.0}, NOW, similarity=0.5),
        "half-words": r.Candidate(4.0, {}, NOW, similarity=0.7),
    }
    found = r.signals(candidates, ["nvidia"], NOW, weights)
    assert found["best-words"].lexical == 1.0
    assert found["half-words"].lexical == 0.5
    assert found["best-words"].score == pytest.approx(0.6 * 0.5 + 0.3 * 1.0 + 0.1 * 1.0)
    assert found["half-words"].score == pytest.approx(0.6 * 0.7 + 0.3 * 0.5)


def test_recency_breaks_ties_and_never_outranks_relevance() -> None:
    candidates = {
        "old-and-close": r.Candidate(0.0, {}, NOW - timedelta(days=2000), similarity=0.8),
        "new-and-further": r.Candidate(0.0, {}, NOW, similarity=0.7),
        "old-tie": r.Candidate(0.0, {}, NOW - timedelta(days=900), similarity=0.5),
        "new-tie": r.Candidate(0.0, {}, NOW - timedelta(days=1), similarity=0.5),
    }
    order = [k for k, _ in r.rerank(candidates, [], NOW)]
    assert order == ["old-and-close", "new-and-further", "new-tie", "old-tie"]
    # A reader who asks for recent first gets recency as a share of the score.
    recent = r.Weights(dense=0.5, lexical=0.0, entities=0.0, recency=0.5)
    assert [k for k, _ in r.rerank(candidates, [], NOW, recent)][0] == "new-and-further"


def test_each_related_article_says_why() -> None:
    w = r.DEFAULT_WEIGHTS
    same = r.Signals(dense=0.85, lexical=0.2, entities=0.0, recency=1.0, score=0.7)
    assert r.reason(same, []) == "same story"
    assert r.reason(same, ["DeepSeek", "Nvidia", "TSMC"]) == "same story; shares DeepSeek, Nvidia"
    meaning = r.Signals(dense=0.5, lexical=0.3, entities=0.0, recency=1.0, score=0.4)
    assert r.reason(meaning, [], w) == "close in meaning"
    wording = r.Signals(dense=0.05, lexical=1.0, entities=0.0, recency=1.0, score=0.2)
    assert r.reason(wording, [], w) == "similar wording"
    assert r.reason(wording, ["Fed"], w) == "shares Fed"
    nothing = r.Signals(dense=None, lexical=0.0, entities=0.0, recency=1.0, score=0.0)
    assert r.reason(nothing, [], w) == "recent"


def test_a_dense_share_scales_the_other_weights() -> None:
    half = r.with_dense_share(0.5)
    assert half.dense == 0.5
    assert half.lexical + half.entities + half.recency == pytest.approx(0.5)
    assert half.lexical / half.entities == pytest.approx(
        r.DEFAULT_WEIGHTS.lexical / r.DEFAULT_WEIGHTS.entities
    )


def test_a_subjects_articles_by_centrality_and_closeness_to_the_page() -> None:
    rows = [
        ("central-far", 0.9, NOW, 0.1),
        ("central-close", 0.8, NOW, 0.9),
        ("less-central", 0.5, NOW, 0.2),
        ("no-vector", 0.85, NOW, None),
    ]
    order = [k for k, _ in r.subject_ranking(rows)]
    assert order == ["no-vector", "central-close", "central-far", "less-central"]
    # Without the page's vector: by centrality alone, the newer of equals first.
    plain = r.subject_ranking(
        [("old", 0.6, NOW - timedelta(days=9), None), ("new", 0.6, NOW, None)]
    )
    assert [k for k, _ in plain] == ["new", "old"]


def _one_at_a_time(
    candidates: dict[str, r.Candidate], keys: list[str], weights: r.Weights
) -> list[tuple[str, float]]:
    """The ranking's definition (ADR 0017), one candidate at a time: what `score` and
    `Scored.order` compute as columns."""
    best = max((c.lexical for c in candidates.values()), default=0.0)
    scored = {}
    for key, c in candidates.items():
        lexical = c.lexical / best if best > 0 else 0.0
        entities = r.entity_overlap(keys, c.shared_salience)
        fresh = r.recency(c.published_at, NOW, weights.half_life_days)
        total = weights.lexical * lexical + weights.entities * entities + weights.recency * fresh
        share = weights.lexical + weights.entities + weights.recency
        if c.similarity is not None and weights.dense > 0:
            total += weights.dense * min(max(c.similarity, 0.0), 1.0)
            share += weights.dense
        score = min(max(total / share if share > 0 else 0.0, 0.0), 1.0)
        scored[key] = (score, fresh)
    ranked = sorted(
        scored.items(),
        key=lambda item: (-round(item[1][0] / r.RANKING_TIE), -item[1][1], -item[1][0], item[0]),
    )
    return [(key, round(score, 4)) for key, (score, _) in ranked]


_CANDIDATE = st.builds(
    r.Candidate,
    lexical=st.sampled_from([0.0, 0.5, 1.0, 2.5, 7.25]),
    shared_salience=st.dictionaries(st.sampled_from(["a", "b", "c"]), st.sampled_from([0.2, 0.9])),
    published_at=st.one_of(st.none(), st.integers(0, 900).map(lambda d: NOW - timedelta(days=d))),
    similarity=st.one_of(st.none(), st.sampled_from([-0.2, 0.1, 0.5, 0.5001, 0.93, 1.0])),
)


@given(
    candidates=st.dictionaries(st.uuids().map(str), _CANDIDATE, max_size=40),
    dense=st.sampled_from([0.0, 0.8, 1.0]),
    recency=st.sampled_from([0.0, 0.3]),
)
@settings(max_examples=200, deadline=None)
def test_the_columns_rank_as_one_candidate_at_a_time(
    candidates: dict[str, r.Candidate], dense: float, recency: float
) -> None:
    weights = replace(r.DEFAULT_WEIGHTS, dense=dense, recency=recency)
    expected = _one_at_a_time(candidates, ["a", "b"], weights)
    assert r.rerank(candidates, ["a", "b"], NOW, weights) == expected
