"""Related-article ranking: analysis, fingerprints, more-like-this terms and re-ranking (pure)."""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import numpy.typing as npt

# Word characters without "_": the same token boundaries as SQLite's unicode61 tokenizer and,
# for letters and digits, PostgreSQL's `simple` parser, so a term chosen here is a term indexed.
_TOKEN = re.compile(r"[^\W_]+")
_DIGITS = re.compile(r"^\d+$")

# English function words and news boilerplate: they say nothing about what a page is about.
STOPWORDS = frozenset(
    """
    a about above after again against all almost also although always am among an and another
    any are around as at be because been before being below between both but by can cannot could
    did do does doing done down during each either else enough even ever every few for from
    further had has have having he her here hers herself him himself his how however i if in into
    is it its itself just last least less like made make many may me might more most much must my
    myself near neither never new next no nor not now of off often on once one only or other our
    ours ourselves out over own per perhaps put rather said same say says see seen several shall
    she should since so some still such than that the their theirs them themselves then there
    these they this those though three through thus to too two under until up upon us very was we
    well were what when where whether which while who whom whose why will with within without
    would yet you your yours yourself yourselves according added told week year years month
    months day days today yesterday tomorrow monday tuesday wednesday thursday friday saturday
    sunday time times people percent including first second get got go going way use used using
    back want based part since across early late later already per cent mr mrs ms dr s t don
    """.split()
)

# Near duplicates: word 3-shingles compared by Jaccard similarity. MinHash (BANDS bands of
# ROWS_PER_BAND hashes) finds the candidates by exact, indexed band lookups: a pair with Jaccard
# 0.8 shares a band with probability 0.88, 0.9 with 0.99, 0.3 with 0.1 (then rejected).
SHINGLE = 3
BANDS = 4
ROWS_PER_BAND = 3
NEAR_DUPLICATE_JACCARD = 0.7
# Odd multipliers and offsets of the MinHash permutations (fixed: bands are stored).
_RNG = np.random.default_rng(20261129)
_MULTIPLIERS = _RNG.integers(1, 2**63, BANDS * ROWS_PER_BAND, dtype=np.uint64) | np.uint64(1)
_OFFSETS = _RNG.integers(0, 2**63, BANDS * ROWS_PER_BAND, dtype=np.uint64)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens, split as the search indexes split them."""
    return _TOKEN.findall(text.lower())


def content_words(text: str) -> list[str]:
    """Tokens that can carry a topic: no stopwords, no single letters, no bare numbers."""
    return _content(tokens(text))


def _content(words: Iterable[str]) -> list[str]:
    return [t for t in words if len(t) > 1 and t not in STOPWORDS and not _DIGITS.match(t)]


def content_hash(text: str) -> str:
    """sha256 of the text's word sequence: whitespace, case and punctuation do not count."""
    return _hash_words(tokens(text))


def _hash_words(words: Sequence[str]) -> str:
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=1 << 16)
def variants(term: str) -> tuple[str, ...]:
    """The term and its English singular or plural, so "wafer" finds "wafers" without a
    stemmer (the indexes store words as written, identically on both backends). Cached: a
    related query asks for every word of the page, and the words of a store recur."""
    if len(term) < 3 or _DIGITS.match(term):
        return (term,)
    if term.endswith("ies") and len(term) > 4:
        return (term, term[:-3] + "y")
    if term.endswith("is"):
        return (term, term[:-2] + "es")
    if term.endswith(("ss", "us")):
        return (term, term + "es")
    if term.endswith("es") and term[:-2].endswith(("ss", "sh", "ch", "x", "z")):
        return (term, term[:-2])
    if term.endswith("s"):
        return (term, term[:-1])
    if term.endswith("y") and term[-2] not in "aeiou":
        return (term, term[:-1] + "ies")
    if term.endswith(("sh", "ch", "x", "z")):
        return (term, term + "es")
    return (term, term + "s")


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    return _shingles_of(tokens(text), size)


def _shingles_of(words: Sequence[str], size: int = SHINGLE) -> set[str]:
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    # Shifted copies zipped together: the later ones are shorter, so zip stops at the last window.
    return set(map(" ".join, zip(*(words[i:] for i in range(size)), strict=False)))


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def containment(part: set[str], whole: set[str]) -> float:
    """The share of `part`'s shingles found in `whole` (an excerpt against a full text)."""
    return len(part & whole) / len(part) if part else 0.0


def contained(text: str, whole: set[str], threshold: float, size: int = SHINGLE) -> bool:
    """`containment(shingles(text), whole) >= threshold`, decided as soon as the misses settle
    it: an unrelated text is out after a few of its windows. (With W windows and U <= W
    distinct shingles, more than (1 - threshold) * W distinct misses means a share under
    `threshold`.)"""
    words = tokens(text)
    windows = len(words) - size + 1
    if windows <= 1:
        return containment(shingles(text, size), whole) >= threshold
    allowed = (1 - threshold) * windows
    seen: set[str] = set()
    misses = 0
    for i in range(windows):
        shingle = " ".join(words[i : i + size])
        if shingle in seen:
            continue
        seen.add(shingle)
        if shingle not in whole:
            misses += 1
            if misses > allowed:
                return False
    return (len(seen) - misses) / len(seen) >= threshold


def minhash_bands(shingle_set: set[str]) -> list[int]:
    """BANDS 31-bit band values of the set's MinHash signature (indexed columns)."""
    if not shingle_set:
        return [0] * BANDS
    hashes = np.array(
        [
            int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big")
            for s in shingle_set
        ],
        dtype=np.uint64,
    )
    # Multiply-add modulo 2**64 (numpy wraps), keep the high half: a cheap universal hash.
    with np.errstate(over="ignore"):
        permuted = (hashes[:, None] * _MULTIPLIERS + _OFFSETS) >> np.uint64(32)
    signature = permuted.min(axis=0).tolist()
    bands = []
    for band in range(BANDS):
        rows = signature[band * ROWS_PER_BAND : (band + 1) * ROWS_PER_BAND]
        digest = hashlib.blake2b(repr(rows).encode(), digest_size=4).digest()
        bands.append(int.from_bytes(digest, "big") & 0x7FFFFFFF)
    return bands


# --- more-like-this ----------------------------------------------------------------------------


TITLE_WEIGHT = 3


def term_frequencies(title: str, text: str, title_weight: int = TITLE_WEIGHT) -> Counter[str]:
    """Content-word counts of a page, the title's words counted `title_weight` times."""
    return _counts(content_words(title), tokens(text), title_weight)


def _counts(title_words: Iterable[str], words: Iterable[str], title_weight: int) -> Counter[str]:
    counts = Counter(_content(words))
    for word in title_words:
        counts[word] += title_weight
    return counts


class PageText:
    """A page's text split into words once, for its hash, its shingles and its term counts
    (each the same as `content_hash`, `shingles` and `term_frequencies` of the text), each
    computed once: a page read again (the annotate cache keeps its PageText) costs none of them.
    The returned set and counter are shared: read them, do not change them."""

    __slots__ = ("_candidates", "_frequencies", "_hash", "_shingles", "title", "words")

    def __init__(self, title: str, words: list[str]) -> None:
        self.title = title
        self.words = words
        self._hash: str | None = None
        self._shingles: set[str] | None = None
        self._frequencies: Counter[str] | None = None
        self._candidates: tuple[list[str], dict[str, int]] | None = None

    @classmethod
    def of(cls, title: str, text: str) -> PageText:
        return cls(title, tokens(text))

    def content_hash(self) -> str:
        if self._hash is None:
            self._hash = _hash_words(self.words)
        return self._hash

    def shingles(self) -> set[str]:
        if self._shingles is None:
            self._shingles = _shingles_of(self.words)
        return self._shingles

    def term_frequencies(self) -> Counter[str]:
        """Content-word counts, the title's words counted TITLE_WEIGHT times."""
        if self._frequencies is None:
            self._frequencies = _counts(content_words(self.title), self.words, TITLE_WEIGHT)
        return self._frequencies

    def candidates(self) -> tuple[list[str], dict[str, int]]:
        """`candidate_terms` of the page, and the counts of the page's words that have one of
        them among their forms: the only words `select_terms` can choose, since the index is
        asked about no others ("crisis" is chosen by the frequency of "crises")."""
        if self._candidates is None:
            frequencies = self.term_frequencies()
            terms = candidate_terms(frequencies)
            asked = set(terms)
            counts = {
                word: count
                for word, count in frequencies.items()
                if not asked.isdisjoint(variants(word))
            }
            self._candidates = (terms, counts)
        return self._candidates


def candidate_terms(frequencies: Counter[str], limit: int = 24) -> list[str]:
    """The most frequent content words and their singular or plural: the ones worth asking the
    index about."""
    return list(dict.fromkeys(v for w, _ in frequencies.most_common(limit) for v in variants(w)))


def select_terms(
    frequencies: Mapping[str, int],
    document_frequencies: Mapping[str, int],
    total_documents: int,
    limit: int = 20,
    max_df_ratio: float = 0.2,
    saturated: int | None = None,
) -> list[tuple[str, float]]:
    """The page's most distinctive terms with their tf-idf weights, best first.

    Terms no stored article has cannot find anything and are skipped, as are terms in more than
    `max_df_ratio` of the articles, or counted up to the `saturated` cap: they match much and
    discriminate little.
    """
    n = max(total_documents, 1)
    scored = []
    for term, tf in frequencies.items():
        # A word counts with its singular or plural: "chip" and "chips" are one topic.
        df = max((document_frequencies.get(v, 0) for v in variants(term)), default=0)
        if df == 0 or (n >= 20 and df > max_df_ratio * n):
            continue
        if saturated is not None and n > saturated and df >= saturated:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        scored.append((term, (1 + math.log(tf)) * idf))
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored[:limit]


def query_groups(
    selected: Sequence[tuple[str, float]],
    document_frequencies: Mapping[str, int],
    max_postings: int = 4_000,
    min_terms: int = 3,
) -> list[tuple[list[str], float]]:
    """The more-like-this query: each selected term with its stored singular or plural, best
    first, until the postings they would read exceed `max_postings`.

    The budget keeps a related query's work bounded as the store grows: at 100k articles the
    most distinctive words still fit, the merely topical ones are left out.
    """
    groups: list[tuple[list[str], float]] = []
    postings = 0
    for term, weight in selected:
        forms = [v for v in variants(term) if document_frequencies.get(v, 0) > 0]
        cost = sum(document_frequencies.get(v, 0) for v in forms)
        if not forms:
            continue
        if groups and len(groups) >= min_terms and postings + cost > max_postings:
            break
        groups.append((forms, weight))
        postings += cost
    return groups


# --- salience and re-ranking -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MentionSpan:
    """One occurrence of an entity or term in an article (offsets into title + text)."""

    kind: str  # "entity" or "term"
    key: str
    label: str | None
    text: str
    start: int


@dataclass(frozen=True, slots=True)
class MentionSummary:
    """What an article says about one entity or term: how often, how prominently."""

    kind: str
    key: str
    label: str | None
    text: str
    count: int
    salience: float


def summarise_mentions(
    spans: Iterable[MentionSpan], title_length: int, text_length: int
) -> list[MentionSummary]:
    """Group spans by (kind, key) and score salience in [0, 1].

    Salience mixes the share of the article's mentions (a story about Huawei names it often),
    presence in the title, and how early the first mention comes (news puts the subject first).
    """
    groups: dict[tuple[str, str], list[MentionSpan]] = {}
    for span in spans:
        groups.setdefault((span.kind, span.key), []).append(span)
    if not groups:
        return []
    total = sum(len(g) for g in groups.values())
    length = max(title_length + text_length, 1)
    summaries = []
    for (kind, key), group in groups.items():
        first = min(s.start for s in group)
        in_title = first < title_length
        share = len(group) / total
        early = 1 - min(first / length, 1)
        salience = min(1.0, 0.5 * math.sqrt(share) + 0.3 * in_title + 0.2 * early)
        labels = Counter(s.label for s in group)
        texts = Counter(s.text for s in group)
        summaries.append(
            MentionSummary(
                kind=kind,
                key=key,
                label=labels.most_common(1)[0][0],
                text=texts.most_common(1)[0][0][:300],
                count=len(group),
                salience=round(salience, 4),
            )
        )
    summaries.sort(key=lambda m: (-m.salience, m.key))
    return summaries


@dataclass(frozen=True, slots=True)
class Candidate:
    """A stored article that may be related, with what the stores said about it."""

    lexical: float  # the backend's relevance score, higher is better, 0 when not matched
    shared_salience: Mapping[str, float]  # salience in this article of each shared entity key
    published_at: datetime | None
    # Cosine of the page's and the article's sentence vectors (gloss.nlp.dense); None when
    # either has none (no model loaded, an article stored before vectors were kept).
    similarity: float | None = None


# The ranking of related articles, in one place (docs/adr/0017). Each candidate comes from the
# sentence vectors over the whole store, the page's distinctive words (more-like-this) or its
# entities; its score is a weighted mean of three signals in [0, 1]:
#   dense     the cosine of the page's and the article's sentence vectors (below 0 is 0);
#   lexical   its more-like-this score relative to the best candidate's;
#   entities  how much of the page's cast it shares, weighted by salience (entity_overlap).
# The weights were fitted by five-fold cross-validation on development queries (the Lee set's
# texts 0-24 and our own labelled set; `make eval` prints each fold). An article without a
# vector is scored by the other two, renormalised. Recency is not in the score by default:
# equal scores (to RANKING_TIE) go to the more recent, and a reader who asks for recent first
# gets `recency` > 0 (a share of the score, like the others).


@dataclass(frozen=True, slots=True)
class Weights:
    lexical: float = 0.1
    entities: float = 0.1
    recency: float = 0.0
    half_life_days: float = 365.0
    dense: float = 0.8


DEFAULT_WEIGHTS = Weights()


def with_dense_share(share: float, base: Weights = DEFAULT_WEIGHTS) -> Weights:
    """`base` with the sentence vectors at `share` of the score, the lexical and entity
    weights scaled to split the rest as they split it in `base`."""
    rest = base.lexical + base.entities + base.recency
    scale = (1 - share) / rest if rest > 0 else 0.0
    return replace(
        base,
        dense=share,
        lexical=base.lexical * scale,
        entities=base.entities * scale,
        recency=base.recency * scale,
    )


# Scores this close are a tie: the more recent article goes first.
RANKING_TIE = 0.005
# A cosine from which two articles are the same story (reason "same story"), and from which a
# candidate is a near-copy of the page or of an article already listed (grouped, not listed).
SAME_STORY_COSINE = 0.8
NEAR_COPY_COSINE = 0.95


def recency(published_at: datetime | None, reference: datetime, half_life_days: float) -> float:
    """1 for an article as recent as the reference, halving every `half_life_days` older."""
    if published_at is None:
        return 0.25
    age_days = abs((reference - published_at).total_seconds()) / 86400
    return float(0.5 ** (age_days / half_life_days))


def entity_overlap(query_keys: Sequence[str], shared_salience: Mapping[str, float]) -> float:
    """How much of the page's cast this article shares, weighted by how central each one is."""
    if not query_keys or not shared_salience:
        return 0.0
    score = sum(0.5 + 0.5 * s for s in shared_salience.values())
    return min(1.0, score / min(len(query_keys), 5))


@dataclass(frozen=True, slots=True)
class Signals:
    """A candidate's signals, each in [0, 1] (dense None without vectors), and its score."""

    dense: float | None
    lexical: float
    entities: float
    recency: float
    score: float


@dataclass(frozen=True, slots=True)
class Columns:
    """Candidates as columns, one row each in `keys` order: what scoring reads of them, so a
    few dozen are scored at once (numpy) rather than one object at a time."""

    keys: list[str]
    lexical: npt.NDArray[np.float64]
    similarity: npt.NDArray[np.float64]  # NaN where unknown (Candidate.similarity None)
    shared_salience: list[Mapping[str, float]]
    published_at: list[datetime | None]

    @classmethod
    def of(cls, candidates: Mapping[str, Candidate]) -> Columns:
        values = candidates.values()
        return cls(
            list(candidates),
            np.fromiter((c.lexical for c in values), np.float64, len(candidates)),
            np.fromiter(
                (np.nan if c.similarity is None else c.similarity for c in values),
                np.float64,
                len(candidates),
            ),
            [c.shared_salience for c in values],
            [c.published_at for c in values],
        )


@dataclass(frozen=True, slots=True)
class Scored:
    """The signals and scores of `Columns`, row for row (see `Signals`)."""

    keys: list[str]
    dense: npt.NDArray[np.float64]  # NaN where unknown
    lexical: npt.NDArray[np.float64]
    entities: npt.NDArray[np.float64]
    recency: npt.NDArray[np.float64]
    score: npt.NDArray[np.float64]

    def signals(self, row: int) -> Signals:
        dense = float(self.dense[row])
        return Signals(
            None if math.isnan(dense) else dense,
            float(self.lexical[row]),
            float(self.entities[row]),
            float(self.recency[row]),
            float(self.score[row]),
        )

    def order(self) -> list[int]:
        """Rows best first: scores within RANKING_TIE of each other go to the more recent,
        then to the higher, then by key (so both search backends agree)."""
        if not self.keys:
            return []
        buckets = np.round(self.score / RANKING_TIE)
        keys = np.array(self.keys)
        ranked: list[int] = np.lexsort((keys, -self.score, -self.recency, -buckets)).tolist()
        return ranked


def score(
    columns: Columns,
    query_keys: Sequence[str],
    reference: datetime,
    weights: Weights = DEFAULT_WEIGHTS,
) -> Scored:
    """Each candidate's signals and weighted score (see the comment above `Weights`)."""
    best = float(columns.lexical.max()) if len(columns.keys) else 0.0
    lexical = columns.lexical / best if best > 0 else np.zeros_like(columns.lexical)
    entities = np.fromiter(
        (entity_overlap(query_keys, shared) for shared in columns.shared_salience),
        np.float64,
        len(columns.keys),
    )
    fresh = np.fromiter(
        (recency(p, reference, weights.half_life_days) for p in columns.published_at),
        np.float64,
        len(columns.keys),
    )
    known = ~np.isnan(columns.similarity)
    similarity = np.where(known, np.minimum(np.maximum(columns.similarity, 0.0), 1.0), np.nan)
    total = weights.lexical * lexical + weights.entities * entities + weights.recency * fresh
    share = np.full(len(columns.keys), weights.lexical + weights.entities + weights.recency)
    if weights.dense > 0:
        total = np.where(known, total + weights.dense * similarity, total)
        share = np.where(known, share + weights.dense, share)
    scores = np.divide(total, share, out=np.zeros_like(total), where=share > 0)
    return Scored(
        columns.keys,
        similarity,
        lexical,
        entities,
        fresh,
        np.minimum(np.maximum(scores, 0.0), 1.0),
    )


def signals(
    candidates: Mapping[str, Candidate],
    query_keys: Sequence[str],
    reference: datetime,
    weights: Weights = DEFAULT_WEIGHTS,
) -> dict[str, Signals]:
    """Each candidate's signals and weighted score (see the comment above `Weights`)."""
    scored = score(Columns.of(candidates), query_keys, reference, weights)
    return {key: scored.signals(row) for row, key in enumerate(scored.keys)}


def rerank(
    candidates: Mapping[str, Candidate],
    query_keys: Sequence[str],
    reference: datetime,
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[tuple[str, float]]:
    """Candidates by score in [0, 1], best first; scores within RANKING_TIE of each other go
    to the more recent, then to the higher, then by id so both search backends agree."""
    scored = score(Columns.of(candidates), query_keys, reference, weights)
    return [(scored.keys[row], round(float(scored.score[row]), 4)) for row in scored.order()]


def reason(
    found: Signals,
    shared_names: Sequence[str],
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    max_names: int = 2,
) -> str:
    """Why an article is related, in a few words: "same story", "shares DeepSeek, Nvidia",
    and, when neither holds, the larger of the other two shares of its score: "close in
    meaning" (the sentence vectors) or "similar wording" (more-like-this)."""
    parts = []
    if found.dense is not None and found.dense >= SAME_STORY_COSINE:
        parts.append("same story")
    if shared_names:
        parts.append("shares " + ", ".join(shared_names[:max_names]))
    if not parts:
        meaning = weights.dense * (found.dense or 0.0)
        wording = weights.lexical * found.lexical
        if meaning == 0 and wording == 0:
            parts.append("recent")
        else:
            parts.append("close in meaning" if meaning >= wording else "similar wording")
    return "; ".join(parts)


# An article is about a subject when the subject's salience in it is at least this: named in
# the title, or often, or early in a short text; a name in passing (once, late, among many) is
# below it (see summarise_mentions).
CENTRAL_SALIENCE = 0.35
# The share of a subject list's score that is closeness to the page the reader is on.
SUBJECT_CLOSENESS = 0.4


def subject_ranking(
    rows: Iterable[tuple[str, float, datetime | None, float | None]],
) -> list[tuple[str, float]]:
    """Articles about a subject, (key, salience, published, closeness to the page or None),
    scored `(1 - SUBJECT_CLOSENESS) * salience + SUBJECT_CLOSENESS * closeness` (salience
    alone where the closeness is unknown); within RANKING_TIE the more recent first."""
    scored = []
    for key, salience, published, closeness in rows:
        score = salience
        if closeness is not None:
            near = min(max(closeness, 0.0), 1.0)
            score = (1 - SUBJECT_CLOSENESS) * salience + SUBJECT_CLOSENESS * near
        stamp = published.timestamp() if published is not None else 0.0
        scored.append((key, min(max(score, 0.0), 1.0), stamp))
    scored.sort(key=lambda item: (-round(item[1] / RANKING_TIE), -item[2], item[0]))
    return [(key, round(score, 4)) for key, score, _ in scored]


def key_ranking(
    rows: Iterable[tuple[str, float, datetime | None]],
    reference: datetime,
    half_life_days: float = 365.0,
) -> list[tuple[str, float]]:
    """Articles mentioning an entity or term, by salience (0.7) and recency (0.3), best first."""
    scored = [
        (key, round(0.7 * salience + 0.3 * recency(published, reference, half_life_days), 4))
        for key, salience, published in rows
    ]
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored


def snippet(text: str, length: int = 240) -> str:
    """The opening of the text, cut at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) <= length:
        return flat
    cut = flat.rfind(" ", 0, length)
    return flat[: cut if cut > length // 2 else length].rstrip(" ,.;:") + "…"


_SENTENCE_END = re.compile(r"[.!?][\"'’”)]*\s+(?=[\"'‘“(]?[A-Z0-9])|\n")


def sentence_naming(text: str, surface: str, limit: int = 300) -> str | None:
    """The first sentence of `text` that names `surface` (as a whole word), on one line; a
    sentence longer than `limit` is cut around the name. None when the text never names it."""
    if not surface.strip():
        return None
    found = re.search(rf"(?<!\w){re.escape(surface)}(?!\w)", text)
    if found is None:
        return None
    start = 0
    # (The lookahead reads past the name's start, so the search is not bounded there.)
    for boundary in _SENTENCE_END.finditer(text):
        if boundary.end() > found.start():
            break
        start = boundary.end()
    after = _SENTENCE_END.search(text, found.end())
    if after is None:
        end = len(text)
    else:  # up to the stop and its closing quotes, or up to the line break
        end = (
            after.start() if after.group() == "\n" else after.start() + len(after.group().rstrip())
        )
    sentence = " ".join(text[start:end].split())
    if len(sentence) <= limit:
        return sentence
    at = sentence.find(surface)
    left = max(0, at - (limit - len(surface)) // 2)
    cut = sentence[left : left + limit]
    return ("…" if left else "") + cut.strip() + ("…" if left + limit < len(sentence) else "")
