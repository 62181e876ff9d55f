"""Evaluation helpers: the development set markup and exact-span scoring."""

from __future__ import annotations

import pytest

from gloss.nlp.evaluation import load_documents, parse_marked, score_spans


def test_parse_marked_nested_spans() -> None:
    text, entities, terms = parse_marked(
        "In [Beijing|GPE], the {[Two Sessions|EVENT]|t-two} began; {AI|t-ai}."
    )
    assert text == "In Beijing, the Two Sessions began; AI."
    assert [(text[s:e], label) for s, e, label in entities] == [
        ("Beijing", "GPE"),
        ("Two Sessions", "EVENT"),
    ]
    assert [(text[s:e], t) for s, e, t in terms] == [("Two Sessions", "t-two"), ("AI", "t-ai")]


def test_score_spans_exact_match() -> None:
    gold = [[(0, 5, "ORG"), (10, 15, "PERSON")]]
    predicted = [[(0, 5, "ORG"), (10, 15, "ORG"), (20, 25, "GPE")]]
    scores = score_spans(gold, predicted)
    assert (scores["ALL"].tp, scores["ALL"].fp, scores["ALL"].fn) == (1, 2, 1)
    assert scores["ORG"].precision == pytest.approx(0.5)
    assert scores["PERSON"].recall == 0.0


def test_development_set_is_consistent() -> None:
    documents = load_documents()
    assert len(documents) >= 40
    assert {d.split for d in documents} == {"dev", "held"}
    for d in documents:
        for s, e, _label in d.entities:
            assert d.text[s:e] == d.text[s:e].strip()
            assert e > s


def test_score_gum_follows_the_gum_scorers_rules() -> None:
    from gloss.nlp.evaluation import GumDocument, score_gum

    text = "The Orbix plant in Halden's valley, near Vell Lake. Kestrel sank."
    span = lambda s: (text.index(s), text.index(s) + len(s))  # noqa: E731
    doc = GumDocument(
        "GUM_voyage_x",
        "voyage",
        text,
        [(*span("Orbix"), "ORG"), (*span("Halden"), "GPE"), (*span("Vell Lake"), "LOC")],
        [span("Kestrel")],  # a ship's name: neither right nor wrong
    )
    predicted = [
        (*span("The Orbix"), "ORG"),  # a leading "the" is dropped before matching
        (*span("Halden's"), "GPE"),  # and so is a possessive
        (*span("Vell Lake"), "GPE"),  # a place, but not the gold label
        (*span("Kestrel"), "PRODUCT"),  # on an ignored name: not counted
        (*span("Halden"), "NORP"),  # NORP is not scored
    ]
    strict = score_gum([doc], [predicted], lenient=False)
    assert (strict["ALL"].tp, strict["ALL"].fp, strict["ALL"].fn) == (2, 1, 1)
    lenient = score_gum([doc], [predicted], lenient=True)
    assert (lenient["ALL"].tp, lenient["ALL"].fp, lenient["ALL"].fn) == (3, 0, 0)
    assert lenient["PLACE"].tp == 2


def test_gum_labels_read_a_people_named_by_a_plural_noun_as_persons() -> None:
    from gloss.nlp.evaluation import gum_labels

    text = "American troops met the Americans, Black Americans and the Swiss."
    span = lambda s, label: (text.index(s), text.index(s) + len(s), label)  # noqa: E731
    predicted = [
        span("American", "NORP"),  # an adjective: GUM marks no name here
        span("Americans", "NORP"),
        span("Black Americans", "NORP"),
        span("Swiss", "NORP"),  # not a plural
        span("troops", "ORG"),  # other labels stay as they are
    ]
    assert [label for _s, _e, label in gum_labels(text, predicted)] == [
        "NORP",
        "PERSON",
        "PERSON",
        "NORP",
        "ORG",
    ]
