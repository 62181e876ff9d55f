"""Entity corrections: turn the model's raw spans into the names a reader should see."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import accumulate

from spacy.lang.en.stop_words import STOP_WORDS

from gloss.nlp import gazetteer
from gloss.nlp.places import world_places

# The labels a reader sees: people, organisations, places, products and other proper names.
# Numeric and temporal labels (DATE, CARDINAL, MONEY...) are left out: product.md shows names,
# and on the development set they would double the highlights without naming anything.
NAME_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"}
)
NUMERIC_LABELS = frozenset({"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"})


@dataclass(frozen=True, slots=True)
class Mention:
    """A candidate entity span in code points into the whole text, with the context rules use."""

    start: int
    end: int
    label: str
    # "model" (statistical NER), "glossary" (a typed term), "document" (another mention of a
    # name found elsewhere in the same text) or "gazetteer".
    source: str = "model"
    sentence_initial: bool = False
    prev_word: str = ""
    key: str = ""
    # How much this mention's label counts in the document's vote: context cues ("X, its chief
    # executive") count double, weak guesses (an unknown name called a place) half.
    weight: float = 1.0


# --- surface helpers ---------------------------------------------------------------------------

_TRIM_CHARS = " \t\r\n\"'“”‘’«»()[]{}<>,;:!?*•·|/\\-–—&"
_POSSESSIVE = re.compile(r"['’]s?$")
_LEADING_THE = re.compile(r"(?:the|The|THE)\s+")  # used with .match(): anchored at pos
_CAMEL = re.compile(r"[a-z][A-Z]")
_DIGIT = re.compile(r"\d")
_TRAILING_FIGURE = re.compile(r"\s+[\d.,:–-]+$")
_SPACES = re.compile(r"\s+")
_LOWER_WORD = re.compile(r"(?<![\w-])[a-z]+(?![\w-])")
_SENTENCE_OPENER_SUFFIX = re.compile(r"(?:ed|ing|ly)$")
_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve hundred thousand million "
    "billion trillion dozen first second third half quarter".split()
)


def normalise_key(surface: str) -> str:
    """A name's identity across mentions and pages: NFKC, case-folded, without "the" or "'s"."""
    key = unicodedata.normalize("NFKC", surface).strip()
    the = _LEADING_THE.match(key)
    if the:
        key = key[the.end() :]
    key = _POSSESSIVE.sub("", key)
    return _SPACES.sub(" ", key).strip().casefold()


def _trim(text: str, m: Mention) -> Mention | None:
    """Drop punctuation, a leading "the" and a possessive "'s" from the span's edges.

    A span never crosses a line break (the extension separates blocks with a blank line, so
    "Credit" + "Chang W. Lee" are two blocks): it is cut to its longest line. A person's name
    never goes on past a spaced dash or bar ("Dan Goodin - Apr" is a byline and its date).
    """
    start, end = _longest_piece(text, m.start, m.end, _LINE_BREAK)
    if m.label == "PERSON":
        start, end = _longest_piece(text, start, end, _SPACED_DASH, first=True)
    while start < end and text[start] in _TRIM_CHARS:
        start += 1
    while end > start and text[end - 1] in _TRIM_CHARS:
        end -= 1
    surface = text[start:end]
    possessive = _POSSESSIVE.search(surface)
    if possessive and possessive.start() > 0:
        end = start + possessive.start()
    # OntoNotes leaves "the" out of names, except in titles of works.
    if m.label != "WORK_OF_ART":
        the = _LEADING_THE.match(text, start, end)
        if the:
            start = _after_the(text, the.end(), end)
    if m.label == "PERSON":
        greeting = _GREETING.match(text, start, end)
        if greeting and greeting.end() < end:
            start = greeting.end()  # "Hey John": the greeting is not part of his name
    if m.label == "PERSON" and not _known_place(text[start:end]):  # "Saint Lucia"
        start = _skip_titles(text, start, end)
        end = _drop_postnominals(text, start, end)
    if m.label != "WORK_OF_ART":  # a title may end in "of" or "and"
        start, end = _drop_lower_case_edges(text, start, end)
    if m.label not in NUMERIC_LABELS:
        # A score or figure glued to a name: "Borussia Dortmund 2-0".
        trailing = _TRAILING_FIGURE.search(text, start, end)
        if trailing and trailing.start() > start:
            end = trailing.start()
    while end > start and text[end - 1] in _TRIM_CHARS:
        end -= 1
    if end <= start:
        return None
    return replace(m, start=start, end=end)


def _after_the(text: str, start: int, end: int) -> int:
    """Where a name starts after a dropped "the": past an opening quote or bracket too
    (the "Roaring Forties")."""
    while start < end and text[start] in _TRIM_CHARS:
        start += 1
    return start


_GREETING = re.compile(r"(?:Hey|Hi|Hello|Dear),?\s+")
_LINE_BREAK = re.compile(r"\s*\n\s*")
_SPACED_DASH = re.compile(r"\s+[-–—|]\s+")


def _longest_piece(
    text: str, start: int, end: int, separator: re.Pattern[str], *, first: bool = False
) -> tuple[int, int]:
    """The longest part of text[start:end] between `separator`s (the first part if `first`)."""
    cuts = list(separator.finditer(text, start, end))
    if not cuts:
        return start, end
    bounds = [start, *(x for c in cuts for x in (c.start(), c.end())), end]
    pieces = list(zip(bounds[::2], bounds[1::2], strict=True))
    if first:
        return pieces[0]
    return max(pieces, key=lambda p: p[1] - p[0])


_SLASH = re.compile(r"\s*/\s*")
_COMPASS = frozenset("North South East West Northeast Northwest Southeast Southwest".split())
_AMPERSAND = re.compile(r"\s+&\s+")


def _separate_names(text: str, m: Mention) -> list[Mention]:
    """Names the model ran together: "Newsmax / Zogby", "OSCE/Office for Democratic
    Institutions" are two organisations, and two people joined by "&" ("Carrano & Biewener")
    two people. A pair of capitals ("AC/DC", "TCP/IP") is one name, and so is a company
    written with "&" ("Marks & Spencer" is no person)."""
    if m.label in NUMERIC_LABELS:
        return [m]
    pieces = _pieces(text, m.start, m.end, _SLASH)
    if not (
        len(pieces) > 1
        and not any(text[s:e].split()[0] in _COMPASS for s, e in pieces)  # "North / South"
        and all(len(text[s:e]) > 1 and text[s].isupper() for s, e in pieces)
        and any(c.islower() for s, e in pieces for c in text[s:e])
    ):
        pieces = []
        if m.label == "PERSON":
            pieces = _pieces(text, m.start, m.end, _AMPERSAND)
            if len(pieces) < 2 or not all(text[s].isupper() for s, _ in pieces):
                pieces = []
    if not pieces:
        return [m]
    first = replace(m, start=pieces[0][0], end=pieces[0][1])
    return [first] + [
        replace(m, start=s, end=e, sentence_initial=False, prev_word="") for s, e in pieces[1:]
    ]


def _pieces(text: str, start: int, end: int, separator: re.Pattern[str]) -> list[tuple[int, int]]:
    """The parts of text[start:end] between `separator`s, without empty ones."""
    bounds = [start, *(x for c in separator.finditer(text, start, end) for x in c.span()), end]
    return [(s, e) for s, e in zip(bounds[::2], bounds[1::2], strict=True) if e > s]


_ET_AL = re.compile(r"\s+et\s+al\.?$")
_EDGE_WORDS = frozenset(
    "a an the this that these those his her its their our my your of for and or to in on at "
    "by with from as".split()
)


def _drop_lower_case_edges(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop function words at a name's edges: a name neither starts with "a", "these" or
    "of" nor ends with "of", "for", "and" or "et al." ("Velder et al." cites a person)."""
    et_al = _ET_AL.search(text, start, end)
    if et_al and et_al.start() > start:
        end = et_al.start()
    while True:
        head, _, last = text[start:end].rpartition(" ")
        if not head or last not in _EDGE_WORDS:
            break
        end = start + len(head.rstrip())
    while True:
        first, _, rest = text[start:end].partition(" ")
        if not rest or first not in _EDGE_WORDS:
            break
        start = end - len(rest.lstrip())
    return start, end


def _drop_postnominals(text: str, start: int, end: int) -> int:
    """Move `end` before letters after a name ("Ana Ruiz FRS", "Tom Hale Jr.")."""
    while True:
        head, _, last = text[start:end].rpartition(" ")
        if not head or last.rstrip(",") not in gazetteer.POSTNOMINALS:
            return end
        end = start + len(head.rstrip(" ,"))


def _skip_titles(text: str, start: int, end: int) -> int:
    """Move `start` past honorifics, offices ("President", "Dr.") and occupations used as
    titles ("Physicist Ana Ruiz") at the span's start."""
    while True:
        words = text[start:end].split(" ", 2)
        if len(words) < 2:
            return start
        two = " ".join(words[:2])
        if len(words) == 3 and two in gazetteer.PERSON_TITLES:
            start += len(two) + 1
        elif words[0] in gazetteer.PERSON_TITLES or (
            len(words) == 3 and words[0].lower() in gazetteer.PERSON_ROLES
        ):
            start += len(words[0]) + 1
        else:
            return start


_EVENT_TAIL = re.compile(
    r" (?:Finals|Final|Cup|Open|Championships|Championship|Games|Olympics|Grand Prix|Marathon|"
    r"Summit)\b"
)
_CAPITALISED_WORD = re.compile(r"([A-Z][a-z]+(?:-[A-Z][a-z]+)?) $")
_PARTICLE = "|".join(sorted(gazetteer.NAME_PARTICLES, key=len, reverse=True))
# Particles, then the capitalised surname: " von der Leyen" after "Ursula".
_PARTICLE_TAIL = re.compile(rf"((?: (?:{_PARTICLE}))*) ([A-Z][\w'’-]*)")
_ENDS_WITH_PARTICLE = re.compile(rf" (?:{_PARTICLE})$")
# An adjective made from a name: "post-Brexit", "anti-Trump", "pro-Kremlin".
_LOWER_PREFIX = re.compile(r"[a-z]+-")


def _extend(text: str, m: Mention, lower_words: frozenset[str]) -> Mention:
    """Grow a span the model cut short.

    "NBA" before "Finals" is the event "NBA Finals"; a person whose name goes on with
    particles and a surname ("Ursula von" before "der Leyen") is the whole name; a one-word
    person right after a capitalised word that is neither a title nor a common word
    ("Margrethe Vestager") is that first name plus the surname.
    """
    tail = _EVENT_TAIL.match(text, m.end)
    if tail and m.label in ("ORG", "GPE", "NORP", "EVENT", "PRODUCT", "PERSON"):
        return replace(m, end=tail.end(), label="EVENT")
    if m.label == "PERSON":
        rest = _PARTICLE_TAIL.match(text, m.end)
        if rest and (rest.group(1) or _ENDS_WITH_PARTICLE.search(text, m.start, m.end)):
            return replace(m, end=rest.end())
    if m.label == "PERSON" and " " not in text[m.start : m.end]:
        before = _CAPITALISED_WORD.search(text, max(0, m.start - 30), m.start)
        if before:
            word = before.group(1)
            if (
                word not in gazetteer.PERSON_TITLES
                and not _GREETING.match(word + " ")  # "Hey Maren"
                and word not in gazetteer.NOT_NAMES
                and word.lower() not in STOP_WORDS
                and word.lower() not in lower_words
                and not _known_place(word)
                and word not in gazetteer.NATIONALITIES
            ):
                return replace(m, start=before.start(1))
    return m


_ADDRESS_TITLES = frozenset(
    "Mr Mrs Ms Miss Madam Madame Mme Mlle Monsieur Mademoiselle Sir Dame".split()
)


def _only_titles(surface: str) -> bool:
    """Whether `surface` is an office or a form of address and no name: "Madam Chair",
    "Mr. Speaker", "Mlle". A lone office can stand for its holder ("the Tsar" is a person
    in GUM; "Duke" may be a university), so only a form of address or two titles count."""
    words = [w.rstrip(".") for w in surface.split()]
    if len(words) == 1:
        return words[0] in _ADDRESS_TITLES
    return all(w in gazetteer.PERSON_TITLES or w + "." in gazetteer.PERSON_TITLES for w in words)


def _is_junk(surface: str, m: Mention, lower_words: frozenset[str]) -> bool:
    """Spans no reader takes for a name.

    `lower_words` are the words the text uses in lower case: a capitalised sentence opener
    that the text also writes in lower case ("Asked ..." and "... asked") is a common word.
    """
    if len(surface) < 2 or not any(c.isalpha() for c in surface):
        return True
    if surface.islower():  # names are capitalised; "the economy" is not one
        return True
    if _LOWER_PREFIX.match(surface):  # "post-Brexit" describes, it does not name
        return True
    if surface in gazetteer.NOT_NAMES:
        return True
    if "\n" in surface:
        return True
    if _only_titles(surface):  # "Mr. Chair", "Madam Speaker": an office, not a name
        return True
    if m.label == "PERSON" and _DIGIT.search(surface):  # "H5N1" is no one's name
        return True
    if m.sentence_initial and " " not in surface and m.source == "model":
        # A capitalised sentence opener the model took for a name: "Asked about...",
        # "Analysts said...". Adverbs, participles and gerunds almost never start a name.
        if surface[1:].islower() and (
            _SENTENCE_OPENER_SUFFIX.search(surface) or surface.lower() in lower_words
        ):
            return True
    return False


# --- the corrections ---------------------------------------------------------------------------


def _relabel(surface: str, m: Mention) -> str:
    """The label general knowledge gives the span, or the model's label."""
    label = m.label
    words = surface.split()
    if surface in gazetteer.EVENT_NAMES:
        return "EVENT"
    if len(words) >= 2 and words[-1] in gazetteer.EVENT_SUFFIXES and label != "EVENT":
        return "EVENT"
    if len(words) >= 2 and words[-1] in gazetteer.FAC_SUFFIXES and label != "FAC":
        return "FAC"
    if (
        len(words) >= 2
        and words[-1] in gazetteer.FAC_SUFFIXES_NOT_PERSON
        and label not in ("FAC", "PERSON")
    ):
        return "FAC"
    if (
        len(words) >= 3
        and any(
            (w in gazetteer.FAC_HEADS_BEFORE_OF or w in gazetteer.FAC_SUFFIXES) and after == "of"
            for w, after in zip(words, words[1:], strict=False)
        )
        and label != "FAC"
    ):
        return "FAC"  # "Cathedral of Christ the Light", "Metropolitan Museum of Art"
    if len(words) >= 2 and words[0] in gazetteer.GPE_HEADS and label != "GPE":
        return "GPE"
    if (
        len(words) >= 2
        and words[0] in gazetteer.PLACE_QUALIFIERS
        and label not in ("GPE", "LOC", "FAC")
        and (_known_place(" ".join(words[1:])) or " ".join(words[1:]) in world_places())
    ):
        return "GPE"  # "Upper Manhattan", "Old Oakland"
    if len(words) >= 2 and words[0] in gazetteer.FAC_HEADS and label in ("PERSON", "ORG"):
        return "GPE"  # "Fort Halden", "Port Ellis": a town named after its fort or port
    if surface in gazetteer.COUNTRIES or surface in gazetteer.REGIONS_AND_CITIES:
        return "GPE"
    if surface in gazetteer.LOCATIONS:
        return "LOC"
    if len(words) >= 2 and words[-1] in gazetteer.GPE_SUFFIXES and label != "PERSON":
        return "GPE"
    if len(words) >= 2 and (
        words[-1] in gazetteer.LOC_SUFFIXES
        or words[0] in gazetteer.LOC_HEADS
        or (words[0] in gazetteer.LOC_HEADS_BEFORE_OF and words[1] == "of")
    ):
        return "LOC"
    if surface in gazetteer.NATIONALITIES:
        return "NORP"
    words = surface.split()
    if (
        label != "ORG"
        and len(words) >= 2
        and (words[-1] in gazetteer.ORG_SUFFIXES or words[0] in gazetteer.ORG_HEADS)
    ):
        return "ORG"
    if label in ("GPE", "LOC", "NORP", "PERSON") and len(words) == 1 and _CAMEL.search(surface):
        # One-word names with an inner capital ("DeepSeek", "OpenAI", "YouTube") are brands:
        # companies or products, never places or people.
        return "ORG"
    if (
        m.prev_word in gazetteer.PERSON_TITLES
        and label in ("ORG", "GPE", "NORP", "PRODUCT", "LOC", "FAC")
        and len(words) <= 3
        and all(w[:1].isupper() for w in words)
    ):
        return "PERSON"
    return label


_APPOSITION_WORDS = re.compile(r"[\w-]+")
_APPOSITION_STOP = frozenset(
    "said says told added which and or but while when who as after before because since "
    "although though if where with in on at for from by to".split()
)
_SAID_PRONOUN = re.compile(
    r"\s+(?:said|says|added|announced|reported|told\s+\w+)\s+(it|its|he|she|his|her)\b"
)
_WHO = re.compile(r",\s+who\b")
_POSSESSIVE_AFTER = re.compile(r"['’]s?\b")
# ", the company said": a reporting clause about the sentence's subject, not an apposition.
_REPORTING_CLAUSE = re.compile(
    r",\s+(?:the|a|an|its|his|her)\s+(?:[\w-]+\s+){0,2}?(?:said|says|added|told|reported)\b"
)
_PLACE_AFTER = re.compile(r",\s+([A-Z][\w.]*(?: [A-Z][\w.]*){0,2})(?![\w'’])")
# "Ana Ruiz (born 3 May 1970)", "Ana Ruiz (b. 1970", "Ana Ruiz was born in".
_BORN = re.compile(r"\s*(?:\((?:born|b\.|née)\s|,?\s+(?:was|is)\s+born\b)")
# "Brenn made his debut", "Brenn hit his first home run": a person's own pronoun right after
# a verb or two ("her" could be an object: "Orbix hired her").
_OWN_PRONOUN = re.compile(r"(?:\s+[a-z][\w-]*){1,3}\s+(?:his|himself|herself)\b")
# "the town of Tarrow", "north of Tarrow", "5 km from Tarrow". Travel verbs ("flights to")
# were tried too: they lowered the held-out F1 of the development set (0.875 to 0.870).
_PLACE_BEFORE = re.compile(
    r"(?:\b(?:town|city|village|island|province|municipality|county|capital|port|"
    r"region|district|suburb|outskirts) of"
    r"|\b(?:north|south|east|west|northeast|northwest|southeast|southwest) of"
    r"|\b(?:km|kilometres|kilometers|miles) (?:north |south |east |west )?(?:from|of)"
    r") $"
)
_COPULA = re.compile(r"\s+(?:is|was)\s+(?:a|an|the|one\s+of\s+the)\s+")
_BASED = re.compile(
    r"(?:,|\s+(?:is|was|are))\s+(?:based|headquartered)\s+in\b|['’]s\s+(?:chief|shares|board)\b"
)


# An author cited in brackets: "(Velder, 2004)", "(Velder & Ruiz, 2004a; ...", "(see Velder
# 2004: 12)"; or by name and year, "Velder et al. (2004)". A title with a year in brackets is
# no citation ("Match Point (2005)").
_CITATION_AFTER = re.compile(
    r"(?:\s+et\s+al\.?)?(?:,\s*|\s+)(?:1[5-9]|20)\d\d[a-z]?\b(?!\s*[-–]\s*\d)"
    r"|\s+et\s+al\.?,?\s+\(?(?:1[5-9]|20)\d\d"
)
_CITATION_BEFORE = re.compile(r"(?:\(|;|&|\band|,)\s*(?:see\s+|e\.g\.,?\s+|cf\.\s+)?$")


_AUTHOR_SEPARATOR = re.compile(r"\s*(?:,\s*&|&|,|\band\b)\s*")


def _cited_authors(text: str, m: Mention) -> list[Mention]:
    """The authors of a citation the model took for one name: "Feng, Spence, & Pratt, 2004"
    or "(Velder & Ruiz 2004" cite two or three people, each a name of their own."""
    if m.label not in ("PERSON", "ORG", "GPE", "NORP", "FAC", "PRODUCT", "WORK_OF_ART"):
        return []
    surface = text[m.start : m.end]
    if "&" not in surface and ", " not in surface:
        return []
    if not _CITATION_AFTER.match(text, m.end):
        return []
    authors = []
    start = m.start
    for separator in [*_AUTHOR_SEPARATOR.finditer(text, m.start, m.end), None]:
        end = m.end if separator is None else separator.start()
        name = text[start:end]
        if name and not (name[:1].isupper() and all(w[:1].isupper() for w in name.split())):
            return []
        if name:
            key = normalise_key(name)
            authors.append(replace(m, start=start, end=end, label="PERSON", key=key, weight=2.0))
        start = m.end if separator is None else separator.end()
    return authors if len(authors) >= 2 else []


def _cited_by_year(text: str, m: Mention) -> bool:
    """Whether the name is an author cited by year: in a bracketed citation, or "et al."."""
    after = _CITATION_AFTER.match(text, m.end)
    if after is None:
        return False
    if "et al" not in after.group():
        # In brackets: an opening bracket (or another author) right before the name, and
        # the bracket still open.
        if not _CITATION_BEFORE.search(text, max(0, m.start - 12), m.start):
            return False
        opened = text.rfind("(", max(0, m.start - 120), m.start)
        if opened == -1 or ")" in text[opened : m.start]:
            return False
    surface = text[m.start : m.end]
    words = surface.split()
    # Organisations are cited too ("OECD, 2020", "World Bank, 2019").
    return (
        not surface.isupper()
        and len(words) <= 3
        and not any(w in gazetteer.ORG_SUFFIXES or w in gazetteer.ORG_HEADS for w in words)
        and not _known_place(surface)
    )


def _context_label(text: str, m: Mention) -> str | None:
    """The label a phrase right after (or, for places, right before) the name gives it.

    ", its chief executive," or ", who" follows a person; ", a logistics company", ", based
    in" or "'s shares" an organisation; "said it" an organisation and "said he" a person.
    """
    after = text[m.end : m.end + 80]
    if _WHO.match(after):
        return "PERSON"
    if _cited_by_year(text, m):
        return "PERSON"
    place = _PLACE_AFTER.match(after)
    if place:
        words = place.group(1).split()
        if any(_known_place(" ".join(words[:n])) for n in range(1, len(words) + 1)):
            return "GPE"  # "Halden, Texas": a town, then its state or country
    if _BASED.match(after):
        return "ORG"
    said = _SAID_PRONOUN.match(after)
    if said:
        return "ORG" if said.group(1) in ("it", "its") else "PERSON"
    if _BORN.match(after) or _OWN_PRONOUN.match(after):
        return "PERSON"
    copula = _COPULA.match(after)
    if copula:
        # "Halden is a small town in ...", "Brenn is an American baseball player": the
        # name's first definition says what it is.
        for i, word in enumerate(_APPOSITION_WORDS.finditer(after, copula.end(), 80)):
            lower = word.group().lower()
            if i == 5 or lower in _APPOSITION_STOP:
                break
            if _POSSESSIVE_AFTER.match(after, word.end()):
                continue
            if lower in gazetteer.PERSON_ROLES:
                return "PERSON"
            if lower in gazetteer.ORG_NOUNS:
                return "ORG"
            if lower in gazetteer.PLACE_NOUNS:
                return "GPE"
    if _PLACE_BEFORE.search(text, max(0, m.start - 40), m.start):
        return "GPE"
    if after.startswith(",") and not _REPORTING_CLAUSE.match(after):
        # The head noun of an apposition is among its first words: ", a logistics company".
        # A conjunction or preposition ends the noun phrase (", as the group grew" is no
        # apposition), and a possessive is not its head (", the group's chairman" is a person).
        # Nor does a bracket, and a capitalised word right after the comma is the next name
        # of a list ("Halden Airport, Vell Airport, Tarrow (general aviation)"), unless it is
        # a possessive (", Orbix's chief executive").
        for i, word in enumerate(_APPOSITION_WORDS.finditer(after, 1, 60)):
            lower = word.group().lower()
            if i == 5 or lower in _APPOSITION_STOP or "(" in after[1 : word.start()]:
                break
            if _POSSESSIVE_AFTER.match(after, word.end()):
                continue
            if (
                i == 0
                and word.group()[:1].isupper()
                and lower not in STOP_WORDS
                and lower not in gazetteer.PERSON_ROLES
                and lower not in gazetteer.ORG_NOUNS
            ):
                break
            if lower in gazetteer.PERSON_ROLES:
                return "PERSON"
            if lower in gazetteer.ORG_NOUNS:
                return "ORG"
    return None


def _numeric_to_name(surface: str, m: Mention) -> Mention | None:
    """A span the model called a number or date that is plainly a brand name ("DeepSeek")."""
    if _DIGIT.search(surface) or not _CAMEL.search(surface):
        return None
    if any(w.lower() in _NUMBER_WORDS for w in surface.split()):
        return None
    return replace(m, label="ORG")


def refine_mentions(
    text: str,
    model_mentions: Iterable[Mention],
    typed_mentions: Sequence[Mention] = (),
    labels: frozenset[str] = NAME_LABELS,
    *,
    propagate: bool = True,
) -> list[Mention]:
    """Apply the corrections to one whole text and return its final, non-overlapping mentions.

    Order matters: clean each span, relabel from general knowledge, let the glossary's typed
    terms win, vote one label per name across the document, give a lone surname its person's
    label, then find the other mentions of each name the model missed.
    """
    lower_words = frozenset(_LOWER_WORD.findall(text))
    common_acronyms = _defined_common_acronyms(text, lower_words)
    headlines, bylines = _headline_and_byline_lines(text)
    cleaned: list[Mention] = []
    for raw in (piece for m in model_mentions for piece in _separate_names(text, m)):
        m = raw
        if _inside(m.start, headlines) or _inside(m.start, bylines):
            # The model cuts title case badly ("Acquire Yahoo", "Verizon Announces"); the
            # names of a headline are the body's, found again by `_propagate`. A byline names
            # the page's author, not what the page is about.
            continue
        if m.label in NUMERIC_LABELS:
            surface = text[m.start : m.end].strip()
            converted = _numeric_to_name(surface, m)
            if converted is None:
                if m.label in labels:
                    cleaned.append(m)
                continue
            m = converted
        authors = _cited_authors(text, m)
        if authors:
            cleaned.extend(authors)
            continue
        trimmed = _trim(text, m)
        if trimmed is None:
            continue
        surface = text[trimmed.start : trimmed.end]
        if _is_junk(surface, trimmed, lower_words) or surface.rstrip("s") in common_acronyms:
            continue
        trimmed = _extend(text, trimmed, lower_words)
        surface = text[trimmed.start : trimmed.end]
        label = _relabel(surface, trimmed)
        weight = 0.75 if trimmed.sentence_initial else 1.0
        cue = _context_label(text, trimmed) if label in _CUE_LABELS else None
        if _known_place(surface) or surface in gazetteer.NATIONALITIES:
            weight = 2.0  # general knowledge beats a guess from context
        elif cue is not None:
            label, weight = cue, 2.0
        elif (
            label == "PERSON"
            and trimmed.prev_word in gazetteer.PLACE_PREPOSITIONS
            and not _POSSESSIVE_AFTER.match(text, trimmed.end)
        ):
            # "born in Halden", "near Halden": people are rarely "in" or "near" anything.
            label, weight = "GPE", 1.0
        elif label in ("GPE", "LOC") and not _place_by_its_words(surface):
            # An unknown name the model calls a place is a weak guess; one whose words say
            # so ("Hudson River", "Orange County") is not.
            if trimmed.prev_word not in gazetteer.LOCATIVE_PREPOSITIONS:
                weight *= 0.5
        cleaned.append(replace(trimmed, label=label, key=normalise_key(surface), weight=weight))

    typed = [replace(t, key=normalise_key(text[t.start : t.end])) for t in typed_mentions]
    mentions = _overlay(typed, _overlay(_born_names(text), cleaned))
    mentions = _coordinate_lists(text, mentions)
    votes = _unmarked_cues(text, mentions)
    places = _attested_places(text, mentions)
    for key, weight in places.items():
        votes.setdefault(key, {})["GPE"] = weight
    mentions = _one_label_per_name(mentions, {t.key: t.label for t in typed}, votes)
    mentions = _link_partial_names(text, mentions, frozenset(places))
    if propagate:
        mentions = _propagate(text, mentions, bylines)
    return [m for m in mentions if m.label in labels]


_CUE_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "PRODUCT", "FAC", "WORK_OF_ART"})


_TITLE_WORD = re.compile(r"[^\W\d_][\w'’.-]*")
# Short words title case leaves in lower case ("Plan to Acquire a Rival").
_TITLE_SMALL_WORDS = frozenset(
    "a an the and or but nor of to in on at by for from with as vs via per into over".split()
)
_HEADLINE_MIN_WORDS = 4
_BYLINE_MAX_WORDS = 12


def _headline_and_byline_lines(
    text: str,
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(start, end) of the lines written in title case, and of the byline lines.

    A headline is a line of at least four words whose every word but the short ones title
    case leaves alone is capitalised ("Orbix Announces Plan to Buy Talvex"), and that does
    not end like a sentence. A byline is a short line opening with "By".
    """
    headlines: list[tuple[int, int]] = []
    bylines: list[tuple[int, int]] = []
    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        stripped = line.strip()
        if stripped:
            words = _TITLE_WORD.findall(stripped)
            if stripped.startswith(gazetteer.BYLINE_OPENERS) and len(words) <= _BYLINE_MAX_WORDS:
                bylines.append((start, end))
            elif (
                len(words) >= _HEADLINE_MIN_WORDS
                and stripped[-1] not in ".;,"
                and all(w[0].isupper() or w in _TITLE_SMALL_WORDS for w in words)
                and sum(w[0].isupper() for w in words) >= _HEADLINE_MIN_WORDS - 1
            ):
                headlines.append((start, end))
        start = end + 1
    return headlines, bylines


def _inside(position: int, ranges: Sequence[tuple[int, int]]) -> bool:
    """Whether `position` falls in one of the sorted (start, end) `ranges`."""
    i = bisect_left(ranges, (position + 1,)) - 1
    return i >= 0 and ranges[i][0] <= position < ranges[i][1]


_ACRONYM_IN_BRACKETS = re.compile(r"\(([A-Z][A-Z0-9]{1,7})s?\)")
_WORDS_BEFORE = re.compile(r"((?:[\w-]+\s+){1,8})$")


def _defined_common_acronyms(text: str, lower_words: frozenset[str]) -> frozenset[str]:
    """Acronyms the text defines as short for common words: "compact fluorescent lamps
    (CFLs)" makes "CFL" a common noun, like "GPU", not a name; so does "System Under Test
    (SUT)" when the text also writes "system", "under" and "test" in lower case. "Orbix Data
    Systems (ODS)" keeps "ODS" a name ("Orbix" is never lower case), and so does any
    definition ending like an organisation ("Space Administration")."""
    found = set()
    for m in _ACRONYM_IN_BRACKETS.finditer(text):
        acronym = m.group(1)
        before = _WORDS_BEFORE.search(text, max(0, m.start() - 120), m.start())
        if before is None:
            continue
        words = before.group(1).replace("-", " ").split()
        letters = acronym.upper()
        # The acronym's letters are the initials of the words right before it, short words
        # ("of", "and") aside: "ground reaction force (GRF)".
        content = [w for w in words if w.lower() not in _TITLE_SMALL_WORDS][-len(letters) :]
        if (
            len(content) == len(letters)
            and "".join(w[0] for w in content).upper() == letters
            and all(
                w.islower() or w.lower() in lower_words or w.lower() in STOP_WORDS for w in content
            )
            and content[-1] not in gazetteer.ORG_SUFFIXES
            and content[0] not in gazetteer.ORG_HEADS
        ):
            found.add(acronym)
    return frozenset(found)


def _can_stand_alone(word: str) -> bool:
    """Whether the last (or first) word of a name can name its bearer alone: "Castellano"
    can, "the" ("Theodore the"), "Jr." or a place ("Alexander of Athens") cannot."""
    return (
        len(word) >= 3
        and word[:1].isupper()
        and (word[1:2].isalpha() or word[1:2] in "'’")  # "O'Hara", "L'Enfant"
        and word.lower() not in STOP_WORDS
        and word not in gazetteer.PERSON_TITLES
        and not _known_place(word)
        and word not in gazetteer.NOT_NAMES
        and word not in gazetteer.NATIONALITIES
    )


_BORN_NAME = re.compile(r"(?<![\w'’-])([A-Z][\w'’-]+(?: [A-Z][\w'’.-]*){1,3}) \((?:born|b\.)\s")


def _born_names(text: str) -> list[Mention]:
    """The names a text gives a birth date: "Tomas Velder (born 3 May 1970)" is a person,
    whatever the model made of it; a biography says so once and its surname does the rest."""
    found = []
    for m in _BORN_NAME.finditer(text):
        surface = m.group(1)
        if any(w in gazetteer.NOT_NAMES or w.lower() in STOP_WORDS for w in surface.split()):
            continue
        start = _skip_titles(text, m.start(1), m.end(1))
        found.append(
            Mention(
                start,
                m.end(1),
                "PERSON",
                "model",
                key=normalise_key(text[start : m.end(1)]),
                weight=2.0,
            )
        )
    return found


def _place_by_its_words(surface: str) -> bool:
    """Whether the last or first word makes a name a place: "... River", "Lake ..."."""
    words = surface.split()
    return len(words) >= 2 and (
        words[-1] in gazetteer.LOC_SUFFIXES
        or words[-1] in gazetteer.GPE_SUFFIXES
        or words[0] in gazetteer.LOC_HEADS
        or (words[0] in gazetteer.LOC_HEADS_BEFORE_OF and words[1] == "of")
    )


def _known_place(surface: str) -> bool:
    return (
        surface in gazetteer.COUNTRIES
        or surface in gazetteer.REGIONS_AND_CITIES
        or surface in gazetteer.LOCATIONS
    )


def _overlay(winners: Sequence[Mention], others: Iterable[Mention]) -> list[Mention]:
    """`winners` plus every mention of `others` that overlaps none of them, in text order."""
    taken = sorted((w.start, w.end) for w in winners)
    starts = [s for s, _e in taken]
    # reach[i]: the furthest end among the first i+1 winners; a mention overlaps a winner iff
    # some winner starting before its end reaches past its start.
    reach = list(accumulate((e for _s, e in taken), max))
    kept = list(winners)
    for m in others:
        i = bisect_left(starts, m.end) - 1
        if i < 0 or reach[i] <= m.start:
            kept.append(m)
    kept.sort(key=lambda m: (m.start, -m.end))
    # Drop nested or crossing model spans (the model itself never emits them, but trimming and
    # typed terms can).
    result: list[Mention] = []
    for m in kept:
        if result and m.start < result[-1].end:
            continue
        result.append(m)
    return result


def _unmarked_cues(text: str, mentions: Sequence[Mention]) -> dict[str, dict[str, float]]:
    """Context cues at the occurrences of each name the model did not mark.

    The model may miss "Tarrow is a small town" and call "Tarrow" an organisation three times
    elsewhere: the page's own definition still counts, as a cue (weight 2) for the name's key.
    """
    marked = {m.start for m in mentions}
    first: dict[str, Mention] = {}
    for m in mentions:
        if m.source == "model" and m.label in _CUE_LABELS:
            first.setdefault(text[m.start : m.end], m)
    votes: dict[str, dict[str, float]] = {}
    for surface, m in first.items():
        if _known_place(surface) or surface in gazetteer.NATIONALITIES:
            continue
        start = text.find(surface)
        while start != -1:
            end = start + len(surface)
            whole = (start == 0 or not text[start - 1].isalnum()) and (
                end == len(text) or not text[end].isalnum()
            )
            if whole and start not in marked:
                cue = _context_label(text, replace(m, start=start, end=end))
                if cue is not None:
                    ballot = votes.setdefault(m.key, {})
                    ballot[cue] = ballot.get(cue, 0.0) + 2.0
            start = text.find(surface, end)
    return votes


# "In Tulsa", "near Tulsa", "around Tulsa", "downtown Tulsa": written like a place.
_LOCATIVE_BEFORE = re.compile(r"(?i:\b(?:in|near|around|outside|downtown|through|via))\s+$")
# People live in places: "the inhabitants of Coron" names a place whatever the model says.
_DWELLERS_OF = re.compile(r"\b(?:population|inhabitants|residents|natives) of\s+$")
_ANY_DWELLERS = re.compile(r"\b(?:population|inhabitants|residents|natives) of\b")


def _attested_places(text: str, mentions: Sequence[Mention]) -> dict[str, float]:
    """Names of towns and countries (`places.world_places`) that the page writes like a
    place, with the weight of their place vote.

    The model calls an unknown town an organisation or a person ("Tulsa has over 225 days of
    sunshine"), and the document's vote follows it. Knowing that a town of that name exists
    is not enough ("Toyota" is a town and a carmaker, "Dallas" a city and a team): the page
    must also write it after "in", "near", "around", "outside" or "downtown" at least once,
    not as a possessive ("in Toyota's plans"). Then the place outvotes every other mention.
    The same holds for a one-word name the model calls a person, town or not ("Hadibo"):
    people are not "in" anything. "Through" and "via" count like "in" ("the trail runs
    through Broken Arrow"); and any name whose population, inhabitants or residents the
    page mentions is a place ("the first inhabitants of Coron").
    """
    world = world_places()
    counts: dict[str, int] = {}
    for m in mentions:
        counts[m.key] = counts.get(m.key, 0) + 1
    found: dict[str, float] = {}
    dwellers = _ANY_DWELLERS.search(text) is not None  # else only known names need a look
    for m in mentions:
        surface = text[m.start : m.end]
        if m.label not in ("ORG", "PERSON") or m.source == "glossary" or m.key in found:
            continue
        known = surface in world or (m.label == "PERSON" and " " not in surface)
        if not known and not dwellers:
            continue
        pattern = re.compile(rf"(?<![\w-]){re.escape(surface)}(?![\w-])(?!['’]s\b)")
        for occurrence in pattern.finditer(text):
            at = occurrence.start()
            if (known and _LOCATIVE_BEFORE.search(text, max(0, at - 12), at)) or (
                _DWELLERS_OF.search(text, max(0, at - 20), at)
            ):
                found[m.key] = 2.0 * counts[m.key] + 1.0
                break
    return found


def _one_label_per_name(
    mentions: list[Mention],
    forced: dict[str, str],
    extra_votes: dict[str, dict[str, float]] | None = None,
) -> list[Mention]:
    """Give every mention of a name the label most of its mentions got (the glossary's if any).

    Votes are weighted (see `Mention.weight`), plus `extra_votes` (cues where the model marked
    nothing); a tie goes to the earliest mention's label.
    """
    votes: dict[str, dict[str, float]] = {}
    for m in mentions:
        ballot = votes.setdefault(m.key, {})
        ballot[m.label] = ballot.get(m.label, 0.0) + m.weight
    for key, extra in (extra_votes or {}).items():
        if key in votes:
            for label, weight in extra.items():
                votes[key][label] = votes[key].get(label, 0.0) + weight
    chosen: dict[str, str] = {}
    for key, ballot in votes.items():
        # max() keeps the first label on a tie: the earliest mention's.
        chosen[key] = forced.get(key) or max(ballot, key=lambda label: ballot[label])
    return [m if chosen[m.key] == m.label else replace(m, label=chosen[m.key]) for m in mentions]


def _link_partial_names(
    text: str, mentions: list[Mention], places: set[str] | frozenset[str] = frozenset()
) -> list[Mention]:
    """A surname alone is the person named in full elsewhere; a brand's first word, the brand.

    "Jensen Huang ... Huang said": the second mention takes PERSON and the full name's key, so
    the card and the related-article lookup treat both as one person. The other way round, a
    full name whose surname stands alone as a PERSON elsewhere is a person too ("Novak
    Djokovic" mislabelled once, "Djokovic" right later). "Kestrel Analytics ... Kestrel" keeps
    the organisation's label.
    """
    persons: dict[str, str] = {}
    orgs: dict[str, str] = {}
    ambiguous: set[str] = set()
    single_person: set[str] = set()
    for m in mentions:
        words = text[m.start : m.end].split()
        if len(words) == 1 and m.label == "PERSON":
            single_person.add(words[0])
        if len(words) < 2 or m.label not in ("PERSON", "ORG"):
            continue
        table = persons if m.label == "PERSON" else orgs
        candidates = (words[-1],) if m.label == "PERSON" else (words[0],)
        for word in candidates:
            if not _can_stand_alone(word):
                continue
            if word in table and table[word] != m.key:
                ambiguous.add(word)
            table.setdefault(word, m.key)
    # Two full names ending in one surname ("Brock Holt", "Brock Wyatt Holt", or two
    # relatives): the surname alone is still a person, only its key is unknown.
    person_surnames = set(persons) - set(orgs)
    for word in ambiguous:
        persons.pop(word, None)
        orgs.pop(word, None)
    linked = []
    for m in mentions:
        surface = text[m.start : m.end]
        if m.source != "glossary":
            words = surface.split()
            if len(words) == 1 and surface in person_surnames and surface not in persons:
                m = replace(m, label="PERSON")
            elif len(words) == 1 and surface in persons:
                m = replace(m, label="PERSON", key=persons[surface])
            elif (
                len(words) == 1
                and surface in orgs
                and surface not in persons
                and not _known_place(surface)
                and m.key not in places
                and m.label not in ("GPE", "LOC", "FAC")  # the page's vote made it a place
            ):
                m = replace(m, label="ORG", key=orgs[surface])
            elif (
                1 < len(words) <= 3
                and m.label in ("ORG", "GPE", "NORP", "LOC")
                and words[-1] in single_person
                and not _known_place(surface)
            ):
                m = replace(m, label="PERSON")
        linked.append(m)
    return linked


_WEAK = 0.5  # the weight of an unknown name the model called a place
_LIST_GLUE = frozenset({",", ", ", " and ", ", and ", " or ", ", or ", " & "})


def _coordinate_lists(text: str, mentions: list[Mention]) -> list[Mention]:
    """Names listed together are the same kind of thing: "from Mistral, Meta and Alibaba".

    Only weak members (an unknown name the model called a place) follow the list, and only
    when every confident member agrees, so "Israel and Hamas" stay a place and a group.
    """
    result = list(mentions)
    i = 0
    while i < len(result):
        j = i
        while j + 1 < len(result) and text[result[j].end : result[j + 1].start] in _LIST_GLUE:
            j += 1
        if j > i:
            group = result[i : j + 1]
            strong = {m.label for m in group if m.weight > _WEAK}
            if len(strong) == 1:
                (label,) = strong
                for k in range(i, j + 1):
                    if result[k].weight <= _WEAK and result[k].label != label:
                        result[k] = replace(result[k], label=label, weight=1.0)
        i = j + 1
    return result


def _propagate(
    text: str, mentions: list[Mention], skip: Sequence[tuple[int, int]] = ()
) -> list[Mention]:
    """Mark the other occurrences of each recognised name, and of unambiguous place names.

    The model often finds a name once and misses it three sentences later; a reader expects
    every occurrence highlighted. Only exact, case-sensitive, whole-word occurrences count.
    """
    names: dict[str, Mention] = {}
    for m in mentions:
        surface = text[m.start : m.end]
        if len(surface) >= 2 and surface not in gazetteer.NOT_NAMES:
            names.setdefault(surface, m)
    for m in mentions:
        words = text[m.start : m.end].split()
        # A person's surname alone, later in the text, is that person.
        if m.label == "PERSON" and len(words) >= 2 and _can_stand_alone(words[-1]):
            names.setdefault(words[-1], m)
    labels: dict[str, tuple[str, str, str]] = {  # surface -> (label, source, key)
        surface: (m.label, "document", m.key) for surface, m in names.items()
    }
    # Candidate names by their first word, longest first: the document's, and the gazetteer's
    # (built once). Scanning the text's words once and looking each up is linear; a regular
    # expression alternating hundreds of names tries every name at every position.
    by_first_word = _by_first_word(labels)
    found: list[Mention] = []
    free_from = 0
    n = len(text)
    for word in _WORD_UNIT.finditer(text):
        start = word.start()
        if start < free_from:
            continue
        candidates = by_first_word.get(word.group())
        places = _GAZETTEER_BY_FIRST_WORD.get(word.group())
        if candidates is None:
            candidates = places
        elif places is not None:  # the document's first among names of a length (sort is stable)
            candidates = sorted([*candidates, *places], key=len, reverse=True)
        if candidates is None:
            continue
        if start > 0 and text[start - 1] in _NAME_GLUE_BEFORE:
            continue
        if skip and _inside(start, skip):
            continue
        for surface in candidates:
            end = start + len(surface)
            if not text.startswith(surface, start):
                continue
            if end < n and (
                text[end].isalnum()
                or text[end] in "_-"
                or (
                    text[end] in "'’"
                    and text[end + 1 : end + 3].isalpha()
                    and len(text[end + 1 : end + 3]) == 2
                )
            ):
                continue
            label, source, key = labels.get(surface) or (
                _GAZETTEER_LABELS[surface],
                "gazetteer",
                "",
            )
            found.append(Mention(start, end, label, source, key=key or normalise_key(surface)))
            free_from = end
            break
    return _overlay(mentions, found)


_WORD_UNIT = re.compile(r"\w+")
_NAME_GLUE_BEFORE = frozenset("_'’.-") | frozenset("0123456789")
_GAZETTEER_LABELS: dict[str, str] = {}
for _label, _group in (
    ("GPE", gazetteer.COUNTRIES),
    ("NORP", gazetteer.NATIONALITIES),
    ("LOC", gazetteer.LOCATIONS),
):
    for _name in sorted(_group):
        if _name not in gazetteer.AMBIGUOUS_PLACES:
            _GAZETTEER_LABELS.setdefault(_name, _label)


def _by_first_word(surfaces: Iterable[str]) -> dict[str, list[str]]:
    """Names by their first word (a name that does not start with one is left out), longest
    first; names of one length in the order given."""
    by_first: dict[str, list[str]] = {}
    for surface in sorted(surfaces, key=len, reverse=True):
        first = _WORD_UNIT.match(surface)
        if first is not None:
            by_first.setdefault(first.group(), []).append(surface)
    return by_first


_GAZETTEER_BY_FIRST_WORD = _by_first_word(_GAZETTEER_LABELS)
