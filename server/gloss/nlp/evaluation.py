"""Quality evaluation: entity P/R/F1 of the engine against the bare model, and term P/R."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gloss.nlp.entities import NAME_LABELS
from gloss.nlp.terms import TermSpec

DEFAULT_DATA = Path("tests/data/nlp")
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


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m gloss.nlp.evaluation`: print the quality report (`make eval`)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="development set folder")
    parser.add_argument("--model", default=None, help="spaCy model package")
    parser.add_argument(
        "--build", action="store_true", help="regenerate devset.jsonl from devset.marked.txt"
    )
    parser.add_argument(
        "--errors", action="store_true", help="list the engine's mistakes on the dev split"
    )
    args = parser.parse_args(argv)
    if args.build:
        documents = build_jsonl(args.data)
        print(f"wrote {args.data / JSONL_FILE}: {len(documents)} documents", file=sys.stderr)
    reports = evaluate(args.data, args.model)
    print(
        "Entity mentions: exact span and label, labels "
        + ", ".join(sorted(NAME_LABELS))
        + ".\nbare = the full en_core_web_sm pipeline, nlp(text).ents; engine = Gloss without "
        "a glossary; +gloss = Gloss with the evaluation glossary (typed terms).\n"
    )
    for report in reports:
        print(format_report(report))
        print()
    if args.errors:
        print_errors(args.data, args.model)
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
