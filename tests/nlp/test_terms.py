"""Glossary terms: case rules, aliases, plurals, overlaps, hyphens and word boundaries."""

from __future__ import annotations

import pytest

from gloss.nlp.engine import Engine
from gloss.nlp.terms import (
    GlossaryCache,
    TermSpec,
    compile_glossary,
    pluralize,
    surface_variants,
)

TERMS_ONLY = frozenset({"terms"})


def _term(term_id: str, term: str, **kwargs: object) -> TermSpec:
    return TermSpec(term_id=term_id, glossary_id="g", term=term, **kwargs)  # type: ignore[arg-type]


def _found(engine: Engine, text: str, *terms: TermSpec) -> list[tuple[str, str]]:
    glossary = engine.compile_glossary("g", 1, terms)
    result = engine.annotate(text, [glossary], TERMS_ONLY)
    return [(m.text, m.term_id) for m in result.terms]


def test_case_insensitive_by_default(engine: Engine) -> None:
    found = _found(engine, "Inference is cheap; INFERENCE costs.", _term("t", "inference"))
    assert found == [("Inference", "t"), ("INFERENCE", "t")]


def test_case_sensitive_term_matches_exact_form_only(engine: Engine) -> None:
    text = "At the Two Sessions, two sessions were held, and TWO SESSIONS too."
    found = _found(engine, text, _term("t", "Two Sessions", case_sensitive=True))
    assert found == [("Two Sessions", "t")]


def test_case_insensitive_two_sessions_matches_every_casing(engine: Engine) -> None:
    text = "At the Two Sessions, two sessions were held."
    found = _found(engine, text, _term("t", "two sessions"))
    assert found == [("Two Sessions", "t"), ("two sessions", "t")]


def test_aliases_match(engine: Engine) -> None:
    spec = _term("llm", "large language model", aliases=("LLM",))
    found = _found(engine, "An LLM, or large language model, and two LLMs.", spec)
    assert found == [("LLM", "llm"), ("large language model", "llm"), ("LLMs", "llm")]


def test_plurals_of_multi_word_terms(engine: Engine) -> None:
    found = _found(
        engine,
        "New reasoning models beat the old reasoning model; heads of state agreed.",
        _term("rm", "reasoning model"),
        _term("hos", "head of state"),
    )
    assert found == [
        ("reasoning models", "rm"),
        ("reasoning model", "rm"),
        ("heads of state", "hos"),
    ]


def test_longest_match_wins(engine: Engine) -> None:
    found = _found(
        engine,
        "Large language models and language models differ.",
        _term("short", "language model"),
        _term("long", "large language model"),
    )
    assert found == [("Large language models", "long"), ("language models", "short")]


def test_hyphenated_terms_match_hyphenated_open_and_closed(engine: Engine) -> None:
    found = _found(
        engine,
        "Pre-training, pre training and pretraining, but not training.",
        _term("pt", "pre-training"),
    )
    assert found == [("Pre-training", "pt"), ("pre training", "pt"), ("pretraining", "pt")]


def test_never_inside_a_word(engine: Engine) -> None:
    found = _found(engine, "He said the chair was AI-ready, not PAID.", _term("ai", "AI"))
    assert found == [("AI", "ai")]


def test_term_in_possessive_and_at_sentence_end(engine: Engine) -> None:
    found = _found(engine, "Nvidia's GPU's price rose. She bought a GPU.", _term("gpu", "GPU"))
    assert found == [("GPU", "gpu"), ("GPU", "gpu")]


def test_same_span_in_two_glossaries_keeps_both(engine: Engine) -> None:
    a = engine.compile_glossary("a", 1, [TermSpec("t1", "a", "inflation")])
    b = engine.compile_glossary("b", 1, [TermSpec("t2", "b", "inflation")])
    result = engine.annotate("Inflation fell.", [a, b], TERMS_ONLY)
    assert [(t.glossary_id, t.term_id) for t in result.terms] == [("a", "t1"), ("b", "t2")]


def test_lowercase_term_inside_a_capitalised_name_is_left_to_the_name(engine: Engine) -> None:
    glossary = engine.compile_glossary("g", 1, [_term("cb", "central bank")])
    text = "The European Central Bank said the central bank would wait."
    result = engine.annotate(text, [glossary])
    assert [t.text for t in result.terms] == ["central bank"]


@pytest.mark.parametrize(
    ("word", "plural"),
    [
        ("model", "models"),
        ("policy", "policies"),
        ("tax", "taxes"),
        ("GPU", "GPUs"),
        ("day", "days"),
        ("analysis", "analyses"),
        ("woman", "women"),
        ("Crisis", "Crises"),
    ],
)
def test_pluralize(word: str, plural: str) -> None:
    assert pluralize(word) == plural


def test_surface_variants() -> None:
    assert surface_variants("  pre-training ") == [
        "pre-training",
        "pre-trainings",
        "pre training",
        "pre trainings",
        "pretraining",
        "pretrainings",
    ]
    assert surface_variants("head of state") == ["head of state", "heads of state"]
    assert surface_variants("Two Sessions") == ["Two Sessions"]  # already plural
    assert surface_variants("") == []


def test_compile_counts_and_reports_entity_terms(engine: Engine) -> None:
    glossary = compile_glossary(
        "g", 7, [_term("a", "DeepSeek", entity_label="ORG"), _term("b", "tariff")], engine.nlp
    )
    assert glossary.version == 7
    assert glossary.has_entity_terms
    assert glossary.pattern_count >= 4  # each term and its plural


def test_glossary_cache_compiles_once_per_version(engine: Engine) -> None:
    cache = GlossaryCache(engine.nlp, max_glossaries=2)
    calls: list[int] = []

    def load(version: int) -> list[TermSpec]:
        calls.append(version)
        return [_term("t", f"term{version}")]

    first = cache.get("g", 1, lambda: load(1))
    assert cache.get("g", 1, lambda: load(1)) is first
    second = cache.get("g", 2, lambda: load(2))
    assert second is not first
    assert ("g", 2) in cache
    assert ("g", 1) not in cache
    assert calls == [1, 2]
    cache.get("h", 1, lambda: load(1))
    cache.get("i", 1, lambda: load(1))
    assert len(cache) == 2
    assert cache.peek("g") is None
    cache.evict("h")
    assert cache.peek("h") is None


def test_longest_wins_in_a_chain_of_overlaps(engine: Engine) -> None:
    found = _found(
        engine,
        "Large language model training costs, and model training time.",
        _term("a", "large language"),
        _term("b", "language model training"),
        _term("c", "model training time"),
    )
    assert found == [("language model training", "b"), ("model training time", "c")]


def test_match_lists_every_match_before_resolution(engine: Engine) -> None:
    glossary = engine.compile_glossary(
        "g", 1, [_term("a", "interest"), _term("b", "interest rates")]
    )
    doc = engine.nlp.make_doc("Interest rates rose.")
    assert sorted((m.start, m.end, m.term.term_id) for m in glossary.match(doc)) == [
        (0, 1, "a"),
        (0, 2, "b"),
    ]
