"""Offsets: code points against UTF-16 units, on astral, CJK and combining text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gloss.nlp.offsets import OffsetMap, sanitize_lone_surrogates, utf16_length

# Emoji (astral), a flag (two astral), CJK (BMP), an astral CJK ideograph, combining marks.
PIECES = ["a", " ", "Nvidia", "😀", "🇫🇷", "北京", "𠀋", "e\u0301", "\u0308", "Ω", "\n"]


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def test_identity_for_bmp_text() -> None:
    offsets = OffsetMap("北京 café")
    assert offsets.is_identity
    assert offsets.to_utf16(4) == 4
    assert offsets.to_codepoint(4) == 4


def test_astral_characters_take_two_units() -> None:
    text = "😀 Nvidia 🇫🇷 said"
    offsets = OffsetMap(text)
    start = text.index("Nvidia")
    assert start == 2
    assert offsets.to_utf16(start) == 3
    assert offsets.to_utf16(text.index("said")) == text.index("said") + 3
    assert offsets.utf16_length == _utf16_units(text) == utf16_length(text)
    assert offsets.to_codepoint(3) == 2


def test_offset_inside_a_surrogate_pair_resolves_to_the_character_start() -> None:
    offsets = OffsetMap("a😀b")
    assert offsets.to_codepoint(2) == 1  # between the two halves of 😀
    assert offsets.to_codepoint(3) == 2


@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_to_utf16_matches_encoding(parts: list[str]) -> None:
    text = "".join(parts)
    offsets = OffsetMap(text)
    for cp in range(len(text) + 1):
        u16 = offsets.to_utf16(cp)
        assert u16 == _utf16_units(text[:cp])
        assert offsets.to_codepoint(u16) == cp
    assert offsets.utf16_length == _utf16_units(text)


@given(st.text(max_size=60))
def test_round_trip_on_any_text(text: str) -> None:
    offsets = OffsetMap(text)
    for cp in range(len(text) + 1):
        assert offsets.to_codepoint(offsets.to_utf16(cp)) == cp


@given(st.text(alphabet=st.characters(min_codepoint=0xD700, max_codepoint=0xE100), max_size=30))
def test_sanitize_replaces_lone_surrogates_without_moving_offsets(text: str) -> None:
    clean = sanitize_lone_surrogates(text)
    assert len(clean) == len(text)
    clean.encode("utf-8")  # no lone surrogate is left
    assert utf16_length(clean) == utf16_length(text)
    for a, b in zip(text, clean, strict=True):
        assert b == ("\ufffd" if 0xD800 <= ord(a) <= 0xDFFF else a)


def test_sanitize_from_invalid_json() -> None:
    import json

    text = json.loads('"x\\ud83d y \\ud83d\\ude00"')  # a lone high surrogate, then a valid pair
    clean = sanitize_lone_surrogates(text)
    assert clean == "x\ufffd y 😀"
