"""Leave-one-genre-out check of the GUM rounds' rules (issue 14, point 2).

Every rule of a round can be switched off. For each of GUM's six genres in turn, the set of
rules is chosen on the other five (every on/off combination, the best micro lenient F1 on the
five), and the chosen set is scored on the genre left out. If the rules only fitted some
documents, the left-out genre would lose what the five won.

    PYTHONPATH=server .venv/bin/python docs/experiments/gum-target/logo.py            # round 3
    PYTHONPATH=server .venv/bin/python docs/experiments/gum-target/logo.py --round 2

Round 2's six rules (64 combinations) are checked with round 3's on, and round 3's five (32
combinations) with round 2's on. The model runs once; only the corrections run per
combination (about a minute).
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from gloss.nlp import entities, gazetteer
from gloss.nlp.engine import Engine, _doc_mentions, split_chunks
from gloss.nlp.evaluation import GUM_GENRES, GumDocument, gum_labels, load_gum, score_gum
from gloss.nlp.places import world_places

ROUND_2 = ("people", "citations", "events", "towns", "person_in", "facilities")
# Round 3: span edges (an opening quote after "the", "Hey John", "& Gratton"), names joined
# by a slash or people by "&", a form of address alone ("Madam Chair"), a place's
# inhabitants or population ("the inhabitants of Coron"), a known town after "through"/"via".
ROUND_3 = ("edges", "separators", "address", "dwellers", "through")
NEVER = re.compile(r"(?!)")
OLD_TRIM_CHARS = entities._TRIM_CHARS.replace("&", "")
OLD_LOCATIVE_BEFORE = re.compile(r"(?i:\b(?:in|near|around|outside|downtown))\s+$")
# The facility and natural-feature words as they were before this round.
OLD_FAC_SUFFIXES = frozenset(
    "Airport Stadium Arena Bridge Tunnel Station Highway Dam Tower Towers Canal Cathedral "
    "Museum".split()
)
OLD_FAC_NOT_PERSON = frozenset(
    "Park Square Street Avenue Boulevard Road Palace Castle Church Temple Mosque Cemetery Hall "
    "Theatre Theater Harbour Harbor Pier Monument Memorial Abbey Chapel Basilica "
    "Fortress".split()
)
OLD_LOC_SUFFIXES = frozenset(
    "Ocean Sea River Mountains Strait Straits Gulf Desert Peninsula Channel Valley Basin "
    "Glacier".split()
)
NEW_EVENT_SUFFIXES = frozenset(
    "Paralympics War Wars Revolution Uprising Rebellion Awards Convention Carnival".split()
)


@contextmanager
def switched_off(rules: frozenset[str]) -> Iterator[None]:
    """The corrections with `rules` switched off (the "people" rule is the scoring's)."""
    saved = (
        entities._cited_by_year,
        entities._cited_authors,
        gazetteer.EVENT_NAMES,
        gazetteer.EVENT_SUFFIXES,
        entities._attested_places,
        gazetteer.FAC_SUFFIXES,
        gazetteer.FAC_SUFFIXES_NOT_PERSON,
        gazetteer.FAC_HEADS_BEFORE_OF,
        gazetteer.LOC_SUFFIXES,
        gazetteer.PLACE_QUALIFIERS,
        gazetteer.GPE_HEADS,
        entities._after_the,
        entities._GREETING,
        entities._TRIM_CHARS,
        entities._separate_names,
        entities._only_titles,
        entities._DWELLERS_OF,
        entities._LOCATIVE_BEFORE,
    )
    original_attested = entities._attested_places
    world = world_places()

    def attested(text: str, mentions: list[entities.Mention]) -> dict[str, float]:
        found = original_attested(text, mentions)
        people = {m.key for m in mentions if m.label == "PERSON"}
        surfaces = {m.key: text[m.start : m.end] for m in mentions}

        def rule(key: str) -> str:
            if surfaces[key] in world:
                return "towns"
            if key in people and " " not in surfaces[key]:
                return "person_in"
            return "dwellers"  # only "the inhabitants of ..." attests any other name

        return {key: weight for key, weight in found.items() if rule(key) not in rules}

    if "citations" in rules:
        entities._cited_by_year = lambda _text, _m: False  # type: ignore[assignment]
        entities._cited_authors = lambda _text, _m: []  # type: ignore[assignment]
    if "events" in rules:
        gazetteer.EVENT_NAMES = frozenset()
        gazetteer.EVENT_SUFFIXES = saved[3] - NEW_EVENT_SUFFIXES
    if "facilities" in rules:
        gazetteer.FAC_SUFFIXES = OLD_FAC_SUFFIXES
        gazetteer.FAC_SUFFIXES_NOT_PERSON = OLD_FAC_NOT_PERSON
        gazetteer.FAC_HEADS_BEFORE_OF = frozenset()
        gazetteer.LOC_SUFFIXES = OLD_LOC_SUFFIXES
        gazetteer.PLACE_QUALIFIERS = frozenset()
        gazetteer.GPE_HEADS = frozenset()
    if "edges" in rules:
        entities._after_the = lambda _text, start, _end: start  # type: ignore[assignment]
        entities._GREETING = NEVER
        entities._TRIM_CHARS = OLD_TRIM_CHARS
    if "separators" in rules:
        entities._separate_names = lambda _text, m: [m]  # type: ignore[assignment]
    if "address" in rules:
        entities._only_titles = lambda _surface: False  # type: ignore[assignment]
    if "dwellers" in rules:
        entities._DWELLERS_OF = NEVER
    if "through" in rules:
        entities._LOCATIVE_BEFORE = OLD_LOCATIVE_BEFORE
    entities._attested_places = attested  # type: ignore[assignment]
    try:
        yield
    finally:
        (
            entities._cited_by_year,
            entities._cited_authors,
            gazetteer.EVENT_NAMES,
            gazetteer.EVENT_SUFFIXES,
            entities._attested_places,
            gazetteer.FAC_SUFFIXES,
            gazetteer.FAC_SUFFIXES_NOT_PERSON,
            gazetteer.FAC_HEADS_BEFORE_OF,
            gazetteer.LOC_SUFFIXES,
            gazetteer.PLACE_QUALIFIERS,
            gazetteer.GPE_HEADS,
            entities._after_the,
            entities._GREETING,
            entities._TRIM_CHARS,
            entities._separate_names,
            entities._only_titles,
            entities._DWELLERS_OF,
            entities._LOCATIVE_BEFORE,
        ) = saved


def model_mentions(engine: Engine, documents: list[GumDocument]) -> list[list[entities.Mention]]:
    """The model's raw mentions of each document, as `Engine.annotate_many` collects them."""
    out = []
    for d in documents:
        chunks = split_chunks(d.text, engine.chunk_chars)
        mentions: list[entities.Mention] = []
        docs = engine.nlp.pipe(d.text[s:e] for s, e in chunks)
        for (start, _end), doc in zip(chunks, docs, strict=True):
            mentions.extend(_doc_mentions(doc, start))
        out.append(mentions)
    return out


def main(argv: list[str]) -> int:
    rules_of_round = ROUND_2 if argv[1:] == ["--round", "2"] else ROUND_3
    documents = load_gum()
    if documents is None:
        print("GUM not found", file=sys.stderr)
        return 1
    raw = model_mentions(Engine.load(), documents)
    # (tp, fp, fn) per genre for every combination of rules switched off.
    counts: dict[frozenset[str], dict[str, tuple[int, int, int]]] = {}
    for n in range(len(rules_of_round) + 1):
        for off in itertools.combinations(rules_of_round, n):
            rules = frozenset(off)
            with switched_off(rules):
                predicted = [
                    [(m.start, m.end, m.label) for m in entities.refine_mentions(d.text, mentions)]
                    for d, mentions in zip(documents, raw, strict=True)
                ]
            if "people" not in rules:
                predicted = [
                    gum_labels(d.text, p) for d, p in zip(documents, predicted, strict=True)
                ]
            per_genre = {}
            for genre in GUM_GENRES:
                idx = [i for i, d in enumerate(documents) if d.genre == genre]
                s = score_gum(
                    [documents[i] for i in idx], [predicted[i] for i in idx], lenient=True
                )["ALL"]
                per_genre[genre] = (s.tp, s.fp, s.fn)
            counts[rules] = per_genre

    def f1(rules: frozenset[str], genres: list[str]) -> float:
        tp = sum(counts[rules][g][0] for g in genres)
        fp = sum(counts[rules][g][1] for g in genres)
        fn = sum(counts[rules][g][2] for g in genres)
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0

    none, every = frozenset(rules_of_round), frozenset()
    print(
        "held-out genre | rules chosen on the other five | F1 without the round's rules | "
        "F1 with the chosen | F1 with all"
    )
    held_tp = [0, 0, 0]
    for genre in GUM_GENRES:
        others = [g for g in GUM_GENRES if g != genre]
        chosen = max(sorted(counts, key=sorted), key=lambda r, o=others: f1(r, o))
        on = [r for r in rules_of_round if r not in chosen]
        print(
            f"{genre} | {', '.join(on) or 'none'} | {f1(none, [genre]):.3f} | "
            f"{f1(chosen, [genre]):.3f} | {f1(every, [genre]):.3f}"
        )
        for k in range(3):
            held_tp[k] += counts[chosen][genre][k]
    tp, fp, fn = held_tp
    print(
        f"all six, each scored with the rules chosen without it: {2 * tp / (2 * tp + fp + fn):.3f}"
        f" (without the round's rules {f1(none, list(GUM_GENRES)):.3f}, with all "
        f"{f1(every, list(GUM_GENRES)):.3f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
