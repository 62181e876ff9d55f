"""Quality evaluation: entity P/R/F1 of the engine against the bare model, and term P/R.

Two sets: the project's development set (`tests/data/nlp`, news-style texts written here) and
GUM's six non-news genres (`<repo root>/../shared/eval/gum-dev`, real text annotated by people,
scored by the rules of its `score_gum.py`: strict, and lenient with GPE, LOC and FAC as one).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gloss.nlp.entities import NAME_LABELS
from gloss.nlp.terms import TermSpec

DEFAULT_DATA = Path("tests/data/nlp")
REPO_ROOT = Path(__file__).resolve().parents[3]
# CI puts shared/ beside the clone; so does every worktree on the development machine.
GUM_DATA = REPO_ROOT.parent / "shared" / "eval" / "gum-dev"
GUM_FILE = "gum_dev.json"
GUM_GENRES = ("bio", "interview", "voyage", "speech", "academic", "textbook")
# GUM scores these labels (it has no NORP class); lenient scoring merges the places.
GUM_COUNTED = frozenset(NAME_LABELS | {"LANGUAGE"}) - {"NORP"}
GUM_PLACES = frozenset({"GPE", "LOC", "FAC"})
QUALITY_SECTION = "## Entity results"
MARKED_FILE = "devset.marked.txt"
JSONL_FILE = "devset.jsonl"
GLOSSARY_FILE = "glossary.json"

Span = tuple[int, int, str]  # (start, end, label or term_id), code points


@dataclass(slots=True)
class Document:
    """One evaluation text with its gold spans."""

    doc_id: str
    split: str
    text: str
    entities: list[Span] = field(default_factory=list)
    terms: list[Span] = field(default_factory=list)


# --- the marked-up source ----------------------------------------------------------------------


def parse_marked(marked: str) -> tuple[str, list[Span], list[Span]]:
    """Plain text and gold spans of one marked line.

    `[surface|LABEL]` marks an entity and `{surface|term_id}` a glossary term; they may nest
    (`{[Two Sessions|EVENT]|t-two-sessions}`). The text itself must not contain `[]{}|`.
    """
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    entities: list[Span] = []
    terms: list[Span] = []
    length = 0
    i = 0
    while i < len(marked):
        ch = marked[i]
        if ch in "[{":
            stack.append((ch, length))
            i += 1
        elif ch == "|":
            closer = marked.index("]" if stack[-1][0] == "[" else "}", i)
            opener, start = stack.pop()
            tag = marked[i + 1 : closer]
            (entities if opener == "[" else terms).append((start, length, tag))
            i = closer + 1
        else:
            out.append(ch)
            length += 1
            i += 1
    if stack:
        raise ValueError(f"unclosed markup in: {marked[:60]}")
    return "".join(out), sorted(entities), sorted(terms)


def build_jsonl(data_dir: Path) -> list[Document]:
    """Parse `devset.marked.txt` and write `devset.jsonl` next to it."""
    documents = []
    for line in (data_dir / MARKED_FILE).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        head, marked = line.split(": ", 1)
        split, doc_id = head.split()
        # "¶" marks a paragraph break, so one line can hold a multi-paragraph article.
        text, entities, terms = parse_marked(marked.replace(" ¶ ", "\n\n"))
        documents.append(Document(doc_id, split, text, entities, terms))
    with (data_dir / JSONL_FILE).open("w", encoding="utf-8") as out:
        for d in documents:
            row = {
                "id": d.doc_id,
                "split": d.split,
                "text": d.text,
                "entities": [{"start": s, "end": e, "label": label} for s, e, label in d.entities],
                "terms": [{"start": s, "end": e, "term_id": t} for s, e, t in d.terms],
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return documents


def load_documents(data_dir: Path = DEFAULT_DATA) -> list[Document]:
    """The development set from `devset.jsonl`."""
    documents = []
    for line in (data_dir / JSONL_FILE).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        documents.append(
            Document(
                row["id"],
                row["split"],
                row["text"],
                [(e["start"], e["end"], e["label"]) for e in row["entities"]],
                [(t["start"], t["end"], t["term_id"]) for t in row["terms"]],
            )
        )
    return documents


def load_glossary_terms(data_dir: Path = DEFAULT_DATA) -> tuple[str, list[TermSpec]]:
    """The evaluation glossary as (glossary_id, terms)."""
    raw = json.loads((data_dir / GLOSSARY_FILE).read_text(encoding="utf-8"))
    glossary_id = raw["glossary_id"]
    terms = [
        TermSpec(
            term_id=t["term_id"],
            glossary_id=glossary_id,
            term=t["term"],
            aliases=tuple(t.get("aliases", ())),
            case_sensitive=bool(t.get("case_sensitive", False)),
            entity_label=t.get("entity_label"),
        )
        for t in raw["terms"]
    ]
    return glossary_id, terms


# --- scoring -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Score:
    """True positives, false positives and false negatives of exact-span matching."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score_spans(
    gold: Iterable[Sequence[Span]], predicted: Iterable[Sequence[Span]]
) -> dict[str, Score]:
    """Exact (start, end, label) matching; the "ALL" key is the micro average over labels."""
    scores: dict[str, Score] = {"ALL": Score()}
    for gold_doc, pred_doc in zip(gold, predicted, strict=True):
        g, p = Counter(gold_doc), Counter(pred_doc)
        for span in g | p:
            label = span[2]
            score = scores.setdefault(label, Score())
            hit = min(g[span], p[span])
            for s in (score, scores["ALL"]):
                s.tp += hit
                s.fp += p[span] - hit
                s.fn += g[span] - hit
    return scores


# --- running -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Report:
    """Scores of one split for the bare model, the engine and the engine with the glossary."""

    split: str
    documents: int
    bare: dict[str, Score]
    engine: dict[str, Score]
    engine_glossary: dict[str, Score]
    terms: Score


def evaluate(data_dir: Path = DEFAULT_DATA, model: str | None = None) -> list[Report]:
    """Run the bare model and the engine over the development set, per split and overall."""
    from gloss.nlp.engine import DEFAULT_MODEL, Engine, load_bare_model

    model = model or DEFAULT_MODEL
    documents = load_documents(data_dir)
    engine = Engine.load(model)
    bare = load_bare_model(model)
    glossary_id, terms = load_glossary_terms(data_dir)
    glossary = engine.compile_glossary(glossary_id, 1, terms)
    texts = [d.text for d in documents]

    bare_spans = [
        [(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in NAME_LABELS]
        for doc in bare.pipe(texts)
    ]
    plain = engine.annotate_many(texts, [], frozenset({"entities"}))
    full = engine.annotate_many(texts, [glossary])
    plain_spans = [[(e.start, e.end, e.label) for e in r.entities] for r in plain]
    full_spans = [[(e.start, e.end, e.label) for e in r.entities] for r in full]
    term_spans = [[(t.start, t.end, t.term_id) for t in r.terms] for r in full]

    reports = []
    for split in ("dev", "held", "all"):
        idx = [i for i, d in enumerate(documents) if split == "all" or d.split == split]
        gold = [[s for s in documents[i].entities if s[2] in NAME_LABELS] for i in idx]
        reports.append(
            Report(
                split=split,
                documents=len(idx),
                bare=score_spans(gold, [bare_spans[i] for i in idx]),
                engine=score_spans(gold, [plain_spans[i] for i in idx]),
                engine_glossary=score_spans(gold, [full_spans[i] for i in idx]),
                terms=score_spans([documents[i].terms for i in idx], [term_spans[i] for i in idx])[
                    "ALL"
                ],
            )
        )
    return reports


def format_report(report: Report) -> str:
    """A plain-text table: P/R/F1 per label, bare model next to the engine."""
    names = {"dev": "dev (tuned on)", "held": "held-out (reported only)", "all": "all"}
    lines = [
        f"== {names[report.split]}: {report.documents} documents",
        f"{'label':<12} {'gold':>5} | {'bare P':>6} {'R':>5} {'F1':>5} | "
        f"{'engine P':>8} {'R':>5} {'F1':>5} | {'+gloss F1':>9}",
    ]
    labels = sorted(
        {k for k in report.bare if k != "ALL"} | {k for k in report.engine if k != "ALL"}
    )
    for label in [*labels, "ALL"]:
        b = report.bare.get(label, Score())
        e = report.engine.get(label, Score())
        g = report.engine_glossary.get(label, Score())
        gold = e.tp + e.fn
        lines.append(
            f"{label:<12} {gold:>5} | {b.precision:6.3f} {b.recall:5.3f} {b.f1:5.3f} | "
            f"{e.precision:8.3f} {e.recall:5.3f} {e.f1:5.3f} | {g.f1:9.3f}"
        )
    t = report.terms
    lines.append(
        f"terms: precision {t.precision:.3f} recall {t.recall:.3f} F1 {t.f1:.3f} "
        f"({t.tp + t.fn} gold, {t.tp + t.fp} found)"
    )
    return "\n".join(lines)


# --- GUM: real text annotated by people ---------------------------------------------------------


@dataclass(slots=True)
class GumDocument:
    """One GUM document: text, gold names and the regions where no prediction counts."""

    doc_id: str
    genre: str
    text: str
    entities: list[Span]
    ignore: list[tuple[int, int]]


def load_gum(data_dir: Path = GUM_DATA) -> list[GumDocument] | None:
    """The GUM development documents, or None when the shared folder is not there."""
    path = data_dir / GUM_FILE
    if not path.exists():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    documents = []
    for doc in raw["documents"]:
        text = doc["text"]
        gold = [(e["start"], e["end"], e["label"]) for e in doc["entities"]]
        ignore = [(i["start"], i["end"]) for i in doc.get("ignore_spans", [])]
        # Every whole-word occurrence of an ignored surface (a book, a ship...) that is not a
        # gold name is a region where a prediction is neither right nor wrong.
        for surface in doc.get("ignore", []):
            for m in re.finditer(r"(?<!\w)" + re.escape(surface) + r"(?!\w)", text):
                if not any(m.start() < ge and gs < m.end() for gs, ge, _ in gold):
                    ignore.append((m.start(), m.end()))
        documents.append(GumDocument(doc["id"], doc["id"].split("_")[1], text, gold, ignore))
    return documents


def _gum_norm(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without surrounding spaces, a leading "the " or a trailing possessive."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if text[start:end].lower().startswith("the "):
        start += 4
    for suffix in ("'s", "’s"):
        if text[start:end].endswith(suffix) and end - len(suffix) > start:
            end -= len(suffix)
            break
    return start, end


def gum_labels(text: str, spans: Iterable[Span]) -> list[Span]:
    """OntoNotes labels read as GUM's: a people named by a plural noun is GUM's person.

    OntoNotes gives NORP to nationalities, religious and political groups whether they are
    adjectives ("American troops") or nouns ("the Americans", "Democrats"); GUM has no NORP
    class and marks only the nouns, as people ("Americans" is a person mention, "American
    troops" has no named mention). A NORP span whose last word is a plural ("Americans",
    "Black Americans", "Democrats"; not "Swiss") is therefore scored as PERSON; every other
    label is GUM's as it stands (GUM's scorer already takes places as one class when lenient).
    """
    mapped = []
    for start, end, label in spans:
        if label == "NORP":
            last = text[start:end].split()[-1] if text[start:end].split() else ""
            if len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
                label = "PERSON"
        mapped.append((start, end, label))
    return mapped


def score_gum(
    documents: Sequence[GumDocument], predicted: Sequence[Sequence[Span]], *, lenient: bool
) -> dict[str, Score]:
    """Scores by the rules of GUM's `score_gum.py`, per gold label and "ALL".

    A prediction matches a gold name with the same span (after `_gum_norm`) and label (places
    as one class if `lenient`); an unmatched prediction overlapping an ignore region and
    predictions with labels GUM does not score are not counted.
    """

    def cls(label: str) -> str:
        return "PLACE" if lenient and label in GUM_PLACES else label

    scores: dict[str, Score] = {"ALL": Score()}
    for doc, preds in zip(documents, predicted, strict=True):
        text = doc.text
        gold = {_gum_norm(text, s, e): cls(label) for s, e, label in doc.entities}
        matched: set[tuple[int, int]] = set()
        for s, e, label in sorted(preds):
            if label not in GUM_COUNTED:
                continue
            key = _gum_norm(text, s, e)
            if key in gold and gold[key] == cls(label) and key not in matched:
                matched.add(key)
                for name in (gold[key], "ALL"):
                    scores.setdefault(name, Score()).tp += 1
            elif key not in gold and any(s < ie and i_s < e for i_s, ie in doc.ignore):
                continue
            else:
                for name in (cls(label), "ALL"):
                    scores.setdefault(name, Score()).fp += 1
        for s, e, label in doc.entities:
            key = _gum_norm(text, s, e)
            if key not in matched:
                matched.add(key)  # a gold name written twice at one place counts once
                for name in (cls(label), "ALL"):
                    scores.setdefault(name, Score()).fn += 1
    return scores


@dataclass(slots=True)
class GumReport:
    """Strict and lenient scores of the bare model and the engine on GUM, and their cost."""

    documents: list[GumDocument]
    bare: list[list[Span]]
    engine: list[list[Span]]
    words: int
    bare_seconds: float
    engine_seconds: float

    def scores(
        self, system: str, *, lenient: bool, genre: str | None = None, mapped: bool = True
    ) -> dict[str, Score]:
        """Scores of "bare" or "engine"; `mapped`: labels read as GUM's (`gum_labels`)."""
        idx = [i for i, d in enumerate(self.documents) if genre in (None, d.genre)]
        spans = self.bare if system == "bare" else self.engine
        predicted = [
            gum_labels(self.documents[i].text, spans[i]) if mapped else spans[i] for i in idx
        ]
        return score_gum([self.documents[i] for i in idx], predicted, lenient=lenient)


def evaluate_gum(data_dir: Path = GUM_DATA, model: str | None = None) -> GumReport | None:
    """Run the full bare pipeline and the engine (no glossary) over GUM's documents."""
    from gloss.nlp.engine import DEFAULT_MODEL, Engine, load_bare_model

    documents = load_gum(data_dir)
    if documents is None:
        return None
    model = model or DEFAULT_MODEL
    engine = Engine.load(model)
    bare = load_bare_model(model)
    texts = [d.text for d in documents]
    started = time.perf_counter()
    bare_spans = [
        [(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in bare.pipe(texts)
    ]
    bare_seconds = time.perf_counter() - started
    started = time.perf_counter()
    results = engine.annotate_many(texts, [], frozenset({"entities"}))
    engine_seconds = time.perf_counter() - started
    return GumReport(
        documents,
        bare_spans,
        [[(e.start, e.end, e.label) for e in r.entities] for r in results],
        sum(len(t.split()) for t in texts),
        bare_seconds,
        engine_seconds,
    )


def format_gum_report(report: GumReport) -> str:
    """Strict and lenient tables per label, and lenient F1 per genre."""
    lines = [
        f"== GUM, six non-news genres: {len(report.documents)} documents, {report.words:,} words"
    ]
    for lenient in (False, True):
        bare = report.scores("bare", lenient=lenient)
        engine = report.scores("engine", lenient=lenient)
        lines.append(
            f"{'lenient' if lenient else 'strict':<12} {'gold':>5} | {'bare P':>6} {'R':>5} "
            f"{'F1':>5} | {'engine P':>8} {'R':>5} {'F1':>5}"
        )
        labels = sorted((set(bare) | set(engine)) - {"ALL"})
        for label in [*labels, "ALL"]:
            b, e = bare.get(label, Score()), engine.get(label, Score())
            lines.append(
                f"{label:<12} {e.tp + e.fn:>5} | {b.precision:6.3f} {b.recall:5.3f} {b.f1:5.3f} | "
                f"{e.precision:8.3f} {e.recall:5.3f} {e.f1:5.3f}"
            )
    lines.append(f"{'genre':<12} {'docs':>5} | {'bare lenient F1':>15} | {'engine lenient F1':>17}")
    for genre in GUM_GENRES:
        docs = sum(d.genre == genre for d in report.documents)
        b = report.scores("bare", lenient=True, genre=genre)["ALL"]
        e = report.scores("engine", lenient=True, genre=genre)["ALL"]
        lines.append(f"{genre:<12} {docs:>5} | {b.f1:15.3f} | {e.f1:17.3f}")
    for lenient in (False, True):
        b = report.scores("bare", lenient=lenient, mapped=False)["ALL"]
        e = report.scores("engine", lenient=lenient, mapped=False)["ALL"]
        lines.append(
            f"without reading plural NORP as PERSON, {'lenient' if lenient else 'strict'} F1: "
            f"bare {b.f1:.3f}, engine {e.f1:.3f}"
        )
    lines.append(
        f"time: bare nlp(text) {report.bare_seconds:.1f} s, engine {report.engine_seconds:.1f} s "
        "(one run on a shared machine; see docs/benchmarks.md for the measured ratio)"
    )
    return "\n".join(lines)


def write_section(path: Path, section: str, heading: str = QUALITY_SECTION) -> None:
    """Replace (or add) the `heading` section of docs/quality.md, leaving the others alone."""
    existing = path.read_text(encoding="utf-8") if path.exists() else "# Quality\n"
    lines = existing.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
    if start is None:
        updated = existing.rstrip() + "\n\n" + section + "\n"
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        updated = "\n".join([*lines[:start], *section.splitlines(), "", *lines[end:]]).rstrip()
        updated += "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(updated, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m gloss.nlp.evaluation`: print the quality report (`make eval`)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="development set folder")
    parser.add_argument("--gum", type=Path, default=GUM_DATA, help="GUM development folder")
    parser.add_argument("--no-gum", action="store_true", help="skip the GUM documents")
    parser.add_argument(
        "--model", default=None, help="spaCy model package, or a model directory to compare"
    )
    parser.add_argument(
        "--build", action="store_true", help="regenerate devset.jsonl from devset.marked.txt"
    )
    parser.add_argument(
        "--errors", action="store_true", help="list the engine's mistakes on the dev split"
    )
    parser.add_argument("--write", type=Path, default=None, help="update this quality.md")
    args = parser.parse_args(argv)
    if args.build:
        documents = build_jsonl(args.data)
        print(f"wrote {args.data / JSONL_FILE}: {len(documents)} documents", file=sys.stderr)
    reports = evaluate(args.data, args.model)
    parts = [
        "Entity mentions: exact span and label, labels "
        + ", ".join(sorted(NAME_LABELS))
        + ".\nbare = the full pipeline, nlp(text).ents; engine = Gloss without "
        "a glossary; +gloss = Gloss with the evaluation glossary (typed terms).\n"
    ]
    parts += [format_report(report) + "\n" for report in reports]
    gum = None if args.no_gum else evaluate_gum(args.gum, args.model)
    if gum is not None:
        parts.append(format_gum_report(gum) + "\n")
    elif not args.no_gum:
        parts.append(f"== GUM: not found at {args.gum} (shared/ goes beside the clone)\n")
    text = "\n".join(parts)
    print(text)
    if args.errors:
        print_errors(args.data, args.model)
    if args.write:
        command = "python -m gloss.nlp.evaluation --write " + str(args.write)
        if args.model:
            command += f" --model {args.model}"
        section = (
            f"{QUALITY_SECTION}\n\n"
            f"Written by `{command}` (`make eval`); never edit it by hand. GUM scoring follows "
            "`shared/eval/gum-dev/score_gum.py` (strict: same span and label; lenient: GPE, "
            "LOC and FAC as one class; NORP and numeric labels not scored).\n\n"
            f"```text\n{text.rstrip()}\n```"
        )
        write_section(args.write, section)
        print(f"wrote {args.write}", file=sys.stderr)
    return 0


def print_errors(data_dir: Path, model: str | None) -> None:
    """Engine false positives and false negatives on the dev split (for tuning, never held)."""
    from gloss.nlp.engine import DEFAULT_MODEL, Engine

    engine = Engine.load(model or DEFAULT_MODEL)
    glossary_id, terms = load_glossary_terms(data_dir)
    glossary = engine.compile_glossary(glossary_id, 1, terms)
    for d in load_documents(data_dir):
        if d.split != "dev":
            continue
        result = engine.annotate(d.text, [glossary])
        pred = {(e.start, e.end, e.label) for e in result.entities}
        gold = {s for s in d.entities if s[2] in NAME_LABELS}
        for s, e, label in sorted(pred - gold):
            print(f"{d.doc_id} FP {d.text[s:e]!r} {label}")
        for s, e, label in sorted(gold - pred):
            print(f"{d.doc_id} FN {d.text[s:e]!r} {label}")
        pt = {(t.start, t.end, t.term_id) for t in result.terms}
        for s, e, t in sorted(pt ^ set(d.terms)):
            kind = "FP" if (s, e, t) in pt else "FN"
            print(f"{d.doc_id} term {kind} {d.text[s:e]!r} {t}")


if __name__ == "__main__":
    raise SystemExit(main())
