"""CSV cells a spreadsheet will not run: a cell starting with = + - @ (or a tab or carriage
return) is a formula to Excel, LibreOffice and Sheets (CSV injection, OWASP), so exports put an
apostrophe before it, which spreadsheets read as "this is text"; imports take it off again, so a
file Gloss wrote comes back as it was."""

from __future__ import annotations

import re

# A formula start after any apostrophes: a value that itself begins with apostrophes and then
# a formula character gets one more, so reading takes exactly one off whatever the value.
_ESCAPED = re.compile(r"'*[=+\-@\t\r]")


_FIRST = frozenset("'=+-@\t\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # Most cells start with a letter: one set lookup, no regular expression.
    if not text or text[0] not in _FIRST:
        return text
    return "'" + text if _ESCAPED.match(text) else text


def read_cell(text: str) -> str:
    """A cell as written by `safe_cell`, back to its value."""
    if text.startswith("'") and _ESCAPED.match(text, 1):
        return text[1:]
    return text
