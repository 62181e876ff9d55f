"""Offsets: convert between Python code-point offsets and the browser's UTF-16 code units."""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Literal

OffsetUnit = Literal["utf16", "codepoint"]
OFFSET_UNITS: tuple[OffsetUnit, ...] = ("utf16", "codepoint")

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT_CHARACTER = "\ufffd"


def sanitize_lone_surrogates(text: str) -> str:
    """Replace every surrogate code point with U+FFFD, keeping both offset units unchanged.

    A browser may send invalid UTF-16 (a lone surrogate); JSON decoding turns it into a lone
    surrogate in a Python str, which spaCy and any UTF-8 encoder choke on. U+FFFD is one code
    point and one UTF-16 unit, exactly like the lone surrogate it replaces, so no offset moves.
    """
    if text.isascii():
        return text
    return _SURROGATE.sub(REPLACEMENT_CHARACTER, text)


def utf16_length(text: str) -> int:
    """Length of `text` in UTF-16 code units (what JavaScript's `.length` says)."""
    if text.isascii():
        return len(text)
    return len(text) + len(_ASTRAL.findall(text))


class OffsetMap:
    """Precomputed conversion between code-point and UTF-16 offsets of one text.

    Only characters outside the Basic Multilingual Plane (emoji, rare CJK) take two UTF-16 units,
    so the map stores just their positions and converts with a binary search; a text without
    them (most pages) converts by identity.
    """

    __slots__ = ("_astral_cp", "_astral_u16", "codepoint_length", "utf16_length")

    def __init__(self, text: str) -> None:
        positions = [] if text.isascii() else [m.start() for m in _ASTRAL.finditer(text)]
        self._astral_cp: list[int] = positions
        # UTF-16 offset of each astral character: its code-point offset plus one extra unit for
        # every astral character before it.
        self._astral_u16: list[int] = [cp + i for i, cp in enumerate(positions)]
        self.codepoint_length = len(text)
        self.utf16_length = len(text) + len(positions)

    @property
    def is_identity(self) -> bool:
        """True when both units agree everywhere (no astral characters)."""
        return not self._astral_cp

    def to_utf16(self, cp: int) -> int:
        """UTF-16 offset of code-point offset `cp` (0 <= cp <= len(text))."""
        if not self._astral_cp:
            return cp
        return cp + bisect_left(self._astral_cp, cp)

    def to_codepoint(self, u16: int) -> int:
        """Code-point offset of UTF-16 offset `u16`.

        An offset that falls between the two halves of a surrogate pair (which no valid client
        sends) resolves to the start of that character, so a span never splits a character.
        """
        if not self._astral_cp:
            return u16
        # Every astral character starting before `u16` took one unit more than one code point.
        return u16 - bisect_left(self._astral_u16, u16)

    def convert(self, cp: int, unit: OffsetUnit) -> int:
        """Code-point offset `cp` expressed in `unit`."""
        return self.to_utf16(cp) if unit == "utf16" else cp
