"""Local article pages for the end-to-end tests and the extension benchmarks."""

from __future__ import annotations

import html
import json
import random
import re
from html.parser import HTMLParser
from pathlib import Path

GLOSSARY = [
    {
        "term": "inference",
        "definition": "Running a trained model to get answers, as opposed to training it.",
        "aliases": ["inferencing"],
        "url": "https://example.org/glossary/inference",
    },
    {
        "term": "reasoning model",
        "definition": "A language model trained to work through problems step by step.",
        "aliases": [],
        "url": None,
    },
    {
        "term": "distillation",
        "definition": "Training a small model to imitate a larger one.",
        "aliases": [],
        "url": None,
    },
    {
        "term": "sandboxing",
        "definition": "Isolation <img src=x onerror=alert(1)> for untrusted code.",
        "aliases": [],
        "url": None,
    },
]

PARAGRAPHS = [
    "DeepSeek, a company based in Hangzhou, released a reasoning model that made inference far "
    "cheaper than its rivals expected.",
    "Analysts at Nvidia and Microsoft said the cost of inference would shape how quickly "
    "companies adopt such systems, and that distillation lets smaller teams keep up.",
    "Engineers in Beijing described the sandboxing they use when the model writes and runs code.",
    "The committee will meet again in Paris next spring to compare notes on distillation and on "
    "the safety of every reasoning model on the market.",
]

# The sentence a test saves as a highlight, then edits slightly to check fuzzy re-anchoring.
HIGHLIGHT = "the cost of inference would shape how quickly companies adopt such systems"
HIGHLIGHT_EDITED = "the cost of inference will shape how fast companies adopt such systems"


def article(paragraphs: list[str], title: str = "A test article") -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
 body {{ font: 18px/1.6 Georgia, serif; max-width: 720px; margin: 24px auto; padding: 0 16px; }}
 nav {{ font: 14px sans-serif; border-bottom: 1px solid #ccc; padding-bottom: 8px; }}
 nav a {{ margin-right: 12px; }}
</style></head>
<body>
<nav><a href="#">Home</a><a href="#">World</a><a href="#">Technology</a></nav>
<article>
<h1>{html.escape(title)}</h1>
{body}
<p>Read the <a href="#more" id="more-link">background on inference</a> for more.</p>
</article>
<script>window.pageScriptRan = true;</script>
</body></html>
"""


def main_article(edited: bool = False) -> str:
    paragraphs = list(PARAGRAPHS)
    if edited:
        paragraphs[1] = paragraphs[1].replace(HIGHLIGHT, HIGHLIGHT_EDITED)
    return article(paragraphs, "Cheaper inference")


def long_article(words: int, seed: int = 7) -> str:
    """About `words` words of news-like text, with glossary terms and names spread through it."""
    rng = random.Random(seed)
    filler = (
        "the team said on Tuesday that its new system would be ready for customers soon and "
        "that prices would fall as more companies compete for the same market over the next year"
    ).split()
    paragraphs: list[str] = []
    count = 0
    while count < words:
        sentence_words = []
        for _ in range(rng.randint(15, 30)):
            sentence_words.append(rng.choice(filler))
        base = " ".join(rng.sample(PARAGRAPHS, 2))
        text = base + " " + " ".join(sentence_words).capitalize() + "."
        paragraphs.append(text)
        count += len(text.split())
    return article(paragraphs, f"A {words}-word article")


class _Text(HTMLParser):
    """The text content of an HTML fragment (character references decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def squash(text: str) -> str:
    """Text without any white space, so extraction's spacing never decides a comparison."""
    return re.sub(r"\s+", "", text)


def readability_expected(folder: Path) -> str:
    """The article a Readability test page should yield, with its title, squashed."""
    parser = _Text()
    parser.feed(folder.joinpath("expected.html").read_text(encoding="utf-8"))
    meta = json.loads(folder.joinpath("expected-metadata.json").read_text(encoding="utf-8"))
    return squash((meta.get("title") or "") + "".join(parser.parts))


# The attacking script of tests/e2e/test_hostile_page.py (see hostile.js).
HOSTILE_SCRIPT = (Path(__file__).parent / "hostile.js").read_text(encoding="utf-8")


def hostile_article() -> str:
    """The main test article with the attacking script (`?secrets=[...]&ext=<id>` in its URL)."""
    return main_article().replace("</body>", f"<script>{HOSTILE_SCRIPT}</script>\n</body>", 1)
