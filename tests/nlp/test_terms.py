"""Glossary terms: case rules, aliases, plurals, overlaps, hyphens and word boundaries."""

from __future__ import annotations

import asyncio
import gc
import weakref
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gloss.nlp.engine import Engine
from gloss.nlp.terms import (
    CompiledGlossary,
    GlossaryBuilder,
    GlossaryCache,
    TermSpec,
    _resolve,
    compile_glossary,
    match_terms,
    pluralize,
    surface_variants,
)
from gloss.runtime import DEFERRED_FULL_COLLECTIONS, CompiledGlossaries, TermInfo

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


# --- incremental updates -----------------------------------------------------------------------

_PAGE = (
    "Large language models and a large language model; the LLM and LLMs. Pre-training, "
    "pre training and pretraining. Apple sells apples; APPLE. Interest rates rose, interest "
    "fell. Model training time and language model training."
)


def _resolved(engine: Engine, glossary: CompiledGlossary, text: str = _PAGE) -> set[tuple]:
    doc = engine.nlp.make_doc(text)
    return {(m.start, m.end, m.term) for m in match_terms(doc, [glossary])}


def _all(engine: Engine, glossary: CompiledGlossary, text: str = _PAGE) -> set[tuple]:
    doc = engine.nlp.make_doc(text)
    return {(m.start, m.end, m.term) for m in glossary.match(doc)}


def _patched_equals_fresh(
    engine: Engine, start: list[TermSpec], upserts: list[TermSpec], removed: list[str]
) -> CompiledGlossary:
    patched = engine.compile_glossary("g", 1, start)
    patched.apply(2, upserts, removed, engine.nlp)
    final = {s.term_id: s for s in start}
    for term_id in removed:
        final.pop(term_id, None)
    final.update({s.term_id: s for s in upserts})
    fresh = engine.compile_glossary("g", 2, list(final.values()))
    assert patched.version == 2
    assert sorted(patched.terms, key=lambda s: s.term_id) == sorted(
        fresh.terms, key=lambda s: s.term_id
    )
    assert patched.pattern_count == fresh.pattern_count
    assert _resolved(engine, patched) == _resolved(engine, fresh)
    assert _all(engine, patched) == _all(engine, fresh)
    return patched


def test_apply_adds_a_term(engine: Engine) -> None:
    patched = _patched_equals_fresh(
        engine, [_term("a", "interest")], [_term("b", "pre-training")], []
    )
    assert "b" in {t.term_id for _s, _e, t in _resolved(engine, patched)}


def test_apply_changes_a_surface(engine: Engine) -> None:
    patched = _patched_equals_fresh(
        engine, [_term("a", "interest rates")], [_term("a", "language model")], []
    )
    assert patched.stale_patterns > 0  # "interest rates" and its plural stay in the matcher


def test_apply_changes_the_case_rule(engine: Engine) -> None:
    _patched_equals_fresh(
        engine, [_term("a", "Apple")], [_term("a", "Apple", case_sensitive=True)], []
    )
    _patched_equals_fresh(
        engine, [_term("a", "Apple", case_sensitive=True)], [_term("a", "Apple")], []
    )


def test_apply_deletes_a_term_and_a_dead_longer_pattern_hides_nothing(engine: Engine) -> None:
    start = [_term("a", "interest"), _term("b", "interest rates")]
    patched = _patched_equals_fresh(engine, start, [], ["b"])
    assert {
        (s, e, t.term_id) for s, e, t in _resolved(engine, patched, "Interest rates rose.")
    } == {(0, 1, "a")}


def test_apply_moves_an_alias_between_terms(engine: Engine) -> None:
    start = [_term("a", "large language model", aliases=("LLM",)), _term("b", "model")]
    upserts = [_term("a", "large language model"), _term("b", "model", aliases=("LLM",))]
    _patched_equals_fresh(engine, start, upserts, [])


def test_apply_shared_surface_keeps_the_other_term(engine: Engine) -> None:
    start = [_term("a", "interest"), _term("b", "interest")]
    patched = _patched_equals_fresh(engine, start, [], ["a"])
    assert patched.stale_patterns == 0


def test_apply_removes_then_re_adds_a_surface(engine: Engine) -> None:
    patched = engine.compile_glossary("g", 1, [_term("a", "interest")])
    patched.apply(2, [], ["a"], engine.nlp)
    assert _resolved(engine, patched) == set()
    patched.apply(3, [_term("b", "interest")], [], engine.nlp)
    fresh = engine.compile_glossary("g", 3, [_term("b", "interest")])
    assert patched.stale_patterns == 0
    assert _resolved(engine, patched) == _resolved(engine, fresh)


def test_apply_to_an_empty_glossary_creates_matchers(engine: Engine) -> None:
    _patched_equals_fresh(
        engine, [], [_term("a", "Apple", case_sensitive=True), _term("b", "interest")], []
    )


def test_cache_update_patches_or_declines(engine: Engine) -> None:
    cache = GlossaryCache(engine.nlp)
    assert cache.update("g", 1, 2, [], []) is None  # nothing held
    held = cache.get("g", 3, lambda: [_term("a", "interest")])
    assert cache.update("g", 4, 5, [], []) is None  # changes since 4 miss version 3 -> 4
    assert cache.update("g", 1, 3, [], []) is held  # already there
    assert cache.update("g", 2, 5, [_term("b", "apple")], ["a"]) is held
    assert held.version == 5
    assert ("g", 5) in cache


_WORDS = ["interest", "rates", "model", "language", "large", "Apple", "LLM", "pre-training"]
_surface = st.lists(st.sampled_from(_WORDS), min_size=1, max_size=3).map(" ".join)
_spec = st.builds(
    lambda i, term, aliases, cs: _term(f"t{i}", term, aliases=tuple(aliases), case_sensitive=cs),
    st.integers(0, 5),
    _surface,
    st.lists(_surface, max_size=2),
    st.booleans(),
)
_edit = st.tuples(st.lists(_spec, max_size=3), st.lists(st.integers(0, 5), max_size=2))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=st.lists(_spec, max_size=5), edits=st.lists(_edit, min_size=1, max_size=4))
def test_any_edit_sequence_matches_a_fresh_compile(
    engine: Engine, start: list[TermSpec], edits: list[tuple[list[TermSpec], list[int]]]
) -> None:
    current = {s.term_id: s for s in start}
    patched = engine.compile_glossary("g", 0, list(current.values()))
    for version, (upserts, removed) in enumerate(edits, start=1):
        removed_ids = [f"t{i}" for i in removed if f"t{i}" not in {s.term_id for s in upserts}]
        patched.apply(version, upserts, removed_ids, engine.nlp)
        for term_id in removed_ids:
            current.pop(term_id, None)
        current.update({s.term_id: s for s in upserts})
        fresh = engine.compile_glossary("g", version, list(current.values()))
        assert _resolved(engine, patched) == _resolved(engine, fresh)
        assert _all(engine, patched) == _all(engine, fresh)
        assert patched.pattern_count == fresh.pattern_count


def _resolve_reference(spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Longest match wins, by brute force: longest first (earliest on a tie), a span is kept
    unless it overlaps a kept one on other tokens; the kept ones in text order."""
    kept: list[tuple[int, int, int]] = []
    for m in sorted(spans, key=lambda m: (m[0] - m[1], m[0])):
        if all(m[1] <= k[0] or k[1] <= m[0] or (k[0], k[1]) == (m[0], m[1]) for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda m: m[0])


_token_span = st.tuples(st.integers(0, 30), st.integers(1, 4), st.integers(0, 2)).map(
    lambda t: (t[0], t[0] + t[1], t[2])
)


@settings(max_examples=500)
@given(spans=st.lists(_token_span, max_size=40))
def test_longest_match_wins_as_a_brute_force_does(spans: list[tuple[int, int, int]]) -> None:
    # The matcher's order: by start (the phrase matcher reports matches in text order).
    spans.sort(key=lambda m: m[0])
    assert _resolve(spans) == _resolve_reference(spans)
    # One matcher's own (key, start, end) tuples resolve the same way.
    keyed = [(source, start, end) for start, end, source in spans]
    assert _resolve(keyed, 1) == [(s, a, b) for a, b, s in _resolve_reference(spans)]


def test_glossary_cache_is_bounded_by_its_patterns(engine: Engine) -> None:
    """Past `max_patterns` (a memory bound), the least recently compiled glossaries go; the
    newest stays even alone over the bound."""
    cache = GlossaryCache(engine.nlp, max_patterns=5)
    three = [_term("a", "alpha"), _term("b", "beta"), _term("c", "gamma")]
    first = cache.get("g1", 1, lambda: three)
    assert first.pattern_count >= 3
    cache.get("g2", 1, lambda: [_term("d", "delta"), _term("e", "epsilon")])
    # Together over five patterns: the older one is dropped.
    assert cache.peek("g1") is None
    assert cache.peek("g2") is not None
    big = [_term(str(i), f"word{i}") for i in range(10)]
    cache.get("g3", 1, lambda: big)
    assert cache.peek("g2") is None
    assert cache.peek("g3") is not None  # the newest is kept, even over the bound alone
    assert len(cache) == 1


def test_a_glossary_compiled_in_steps_is_the_one_compiled_at_once(engine: Engine) -> None:
    """GlossaryBuilder does `compile_glossary`'s work a few terms, then a few texts, a step
    (the server runs the steps on the engine's thread between annotations)."""
    terms = [
        _term("a", "interest rate", aliases=("base rate",)),
        _term("b", "Interest"),
        _term("c", "QT", case_sensitive=True),
        _term("d", "pre-training"),
        _term("e", "rate"),
        _term("f", "central bank", aliases=("Interest",)),
        _term("g", "head of state"),
    ]
    whole = compile_glossary("g", 3, terms, engine.nlp)
    builder = GlossaryBuilder("g", 3, terms, engine.nlp, terms_per_step=2, texts_per_step=3)
    with pytest.raises(RuntimeError):
        builder.result()
    while not builder.step():
        pass
    stepped = builder.result()
    assert builder.steps > 5
    assert stepped.pattern_count == whole.pattern_count
    assert stepped._ci_surfaces == whole._ci_surfaces
    assert stepped._cs_surfaces == whole._cs_surfaces
    text = "Interest rates and the base rate; QT and qt; pretraining by heads of state."
    assert engine.annotate(text, [stepped], TERMS_ONLY) == engine.annotate(
        text, [whole], TERMS_ONLY
    )


def test_glossary_cache_installs_a_compile_unless_a_newer_version_is_held(engine: Engine) -> None:
    cache = GlossaryCache(engine.nlp, max_patterns=5)
    two = compile_glossary("g", 2, [_term("a", "alpha")], engine.nlp)
    assert cache.install(two) is two
    older = compile_glossary("g", 1, [_term("a", "beta")], engine.nlp)
    assert cache.install(older) is two  # a patch got further meanwhile: kept
    assert cache.install(compile_glossary("g", 2, [], engine.nlp)) is two
    big = compile_glossary("h", 1, [_term(str(i), f"word{i}") for i in range(10)], engine.nlp)
    assert cache.install(big) is big
    assert cache.peek("g") is None  # the memory bound applies to installs too


async def test_a_replaced_version_is_freed_by_reference_counting(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compiled glossaries and their builders are acyclic: a version replaced by a newer one is
    freed as soon as nothing uses it, with no garbage collection (the collector is off here,
    and full collections wait while a compile runs)."""
    executor = ThreadPoolExecutor(max_workers=1)
    glossaries = CompiledGlossaries(GlossaryCache(engine.nlp), executor)
    builders: list[weakref.ref[GlossaryBuilder]] = []
    thresholds: list[int] = []
    step = glossaries._step

    async def watched(builder: GlossaryBuilder) -> bool:
        builders.append(weakref.ref(builder))
        thresholds.append(gc.get_threshold()[2])
        return await step(builder)

    monkeypatch.setattr(glossaries, "_step", watched)
    specs = [_term(str(i), f"word{i}", aliases=(f"alias{i}",)) for i in range(40)]
    infos = [TermInfo(s.term_id, "g", s.term, "A definition.", None) for s in specs]
    before = gc.get_threshold()
    gc.disable()
    try:
        first = weakref.ref(await glossaries.compile("g", 1, specs, infos))
        assert first() is None or first() is glossaries.held("g")
        second = await glossaries.compile("g", 2, specs[:10], infos[:10])
        assert glossaries.held("g") is second
        assert first() is None
        # The executor's thread lets go of its last work item (a builder's bound method) only
        # after handing back the result: one more item, and it has.
        await asyncio.get_running_loop().run_in_executor(executor, int)
        assert builders
        assert all(b() is None for b in builders)
        assert glossaries.term_info("g", 1, "0") is None
        assert glossaries.term_info("g", 2, "0") is not None
    finally:
        gc.enable()
        executor.shutdown()
    assert set(thresholds) == {DEFERRED_FULL_COLLECTIONS}
    assert gc.get_threshold() == before
