"""The read-only share page of a collection: HTML with every user text escaped, and its CSP."""

from __future__ import annotations

import base64
import hashlib
from html import escape
from typing import Any
from urllib.parse import quote, urlsplit

from gloss.collections.formats import Flat, group_by_page

STYLE = """
:root { color-scheme: light dark; --ink: #1d1d1f; --muted: #6e6e73; --line: #d2d2d7; }
body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto;
       padding: 0 1rem; color: var(--ink); }
header p, .meta { color: var(--muted); font-size: 0.875rem; }
section.page { border-top: 1px solid var(--line); padding-top: 0.5rem; margin-top: 1.5rem; }
section.page h2 { font-size: 1.05rem; margin-bottom: 0; overflow-wrap: anywhere; }
.url { word-break: break-all; margin-top: 0; }
ol { list-style: none; padding: 0; }
li.highlight { margin: 1rem 0; padding-left: 0.75rem; border-left: 4px solid #f5c400; }
li.c-green { border-color: #34c759; } li.c-blue { border-color: #0a84ff; }
li.c-pink { border-color: #ff2d92; } li.c-purple { border-color: #af52de; }
li.c-orange { border-color: #ff9500; } li.c-red { border-color: #ff3b30; }
blockquote { margin: 0; font-style: italic; white-space: pre-wrap; }
p.note { margin: 0.25rem 0; white-space: pre-wrap; }
ul.tags { display: inline; padding: 0; } ul.tags li { display: inline; margin-right: 0.5rem; }
"""
# The style is allowed by its hash, so the CSP needs neither 'unsafe-inline' nor a second URL.
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src 'none'; "
    "script-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SHARE_PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # The page's URL may carry the share key: never send it on as a Referer.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, no-store",
    "X-Frame-Options": "DENY",
}
COLOR_CLASSES = {"green", "blue", "pink", "purple", "orange", "red"}


def _is_web(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ("http", "https")


def _fragment(text: str) -> str:
    # Text-fragment syntax reserves '-', ',' and '&'; quote() leaves '-' alone, so escape it.
    return quote(text, safe="").replace("-", "%2D")


def highlight_link(flat: Flat) -> str:
    """The page, scrolled to the passage by a text fragment where the browser supports it."""
    if not flat.quote or "#" in flat.url:
        return flat.url
    words = flat.quote.split()
    if len(words) > 12:
        directive = f"{_fragment(' '.join(words[:5]))},{_fragment(' '.join(words[-5:]))}"
    else:
        directive = _fragment(" ".join(words))
    return f"{flat.url}#:~:text={directive}"


def _link(href: str, text: str) -> str:
    if not _is_web(href):
        return escape(text)  # never a javascript: or data: link
    return f'<a href="{escape(href)}" rel="noopener noreferrer nofollow">{escape(text)}</a>'


def _highlight(flat: Flat) -> str:
    classes = "highlight"
    if flat.color in COLOR_CLASSES:
        classes += f" c-{flat.color}"
    parts = [f'<li class="{classes}">']
    if flat.quote:
        parts.append(f"<blockquote>{escape(flat.quote)}</blockquote>")
    if flat.note:
        parts.append(f'<p class="note">{escape(flat.note)}</p>')
    meta = []
    if flat.tags:
        tags = "".join(f"<li>#{escape(tag)}</li>" for tag in flat.tags)
        meta.append(f'<ul class="tags">{tags}</ul>')
    if flat.creator:
        meta.append(escape(flat.creator))
    meta.append(f'<time datetime="{escape(flat.created)}">{escape(flat.created[:10])}</time>')
    meta.append(_link(highlight_link(flat), "open on the page"))
    parts.append(f'<div class="meta">{" · ".join(meta)}</div></li>')
    return "".join(parts)


def render_share_page(name: str, docs: list[dict[str, Any]]) -> str:
    """A collection's highlights grouped by article, each linking back to its page."""
    sections = []
    for url, flats in group_by_page(docs):
        items = "\n".join(_highlight(f) for f in flats)
        # Headed by the page's title as a reader saw it (the latest one sent), its URL below.
        title = next((f.title for f in reversed(flats) if f.title), "")
        heading = f"<h2>{_link(url, title or url)}</h2>"
        if title:
            heading += f'<p class="meta url">{escape(url)}</p>'
        sections.append(f'<section class="page">{heading}\n<ol>\n{items}\n</ol></section>')
    body = "\n".join(sections) or "<p>No highlights yet.</p>"
    count = len(docs)
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(name)} · Gloss</title><style>{STYLE}</style></head>\n"
        f"<body><header><h1>{escape(name)}</h1>"
        f"<p>{count} highlight{'s' if count != 1 else ''} shared from Gloss (read-only).</p>"
        f"</header>\n<main>\n{body}\n</main></body></html>\n"
    )


def render_invalid_link() -> str:
    """The page a share link that does not open shows: what happened and what to do."""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>Link not valid · Gloss</title><style>{STYLE}</style></head>\n"
        "<body><header><h1>This link is not valid</h1></header>\n<main>"
        "<p>The share link is incomplete, was revoked, or the collection no longer exists.</p>"
        "<p>Ask the person who shared it for a new link, or open the collection from the Gloss "
        "extension if you are in its team.</p></main></body></html>\n"
    )
