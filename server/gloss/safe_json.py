"""JSON from outside, parsed with bounds: nesting depth, integers that fit 64 bits, finite
numbers, and no lone UTF-16 surrogates, checked in one walk of the parsed value. Python's
parser would otherwise recurse until it fails, build 5,000-digit integers the database
refuses, or hand back strings that cannot be encoded to store; each of those was a 500. A
refusal is a `JsonRefused` (a ValueError) that says what was wrong."""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 64
_INT64 = 2**63 - 1


class JsonRefused(ValueError):
    pass


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed document; JsonRefused for anything out of bounds or not JSON."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonRefused("The JSON is not valid UTF-8.") from exc
    try:
        value = json.loads(data, parse_int=_int, parse_float=_float, parse_constant=_no_constant)
    except JsonRefused:
        raise
    except RecursionError as exc:  # the C parser recurses once per level of nesting
        raise JsonRefused(f"The JSON is nested deeper than {max_depth} levels.") from exc
    except ValueError as exc:
        raise JsonRefused(f"The body is not valid JSON: {exc}.") from exc
    _check(value, max_depth)
    return value


def _int(text: str) -> int:
    # Refused by length first: int() of thousands of digits is slow, and past 4,300 an error.
    if len(text) > 20 or abs(value := int(text)) > _INT64:
        raise JsonRefused(f"A number in the JSON is too large: {text[:24]}….")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused(f"A number in the JSON is too large: {text[:24]}.")
    return value


def _no_constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON number.")


def _check(value: Any, max_depth: int) -> None:
    """One walk of the parsed document: its depth, and every string (keys too) encodable."""
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            _encodable(node)
            continue
        if isinstance(node, dict | list):
            if depth >= max_depth:
                raise JsonRefused(f"The JSON is nested deeper than {max_depth} levels.")
            if isinstance(node, dict):
                for key in node:
                    _encodable(key)
                stack.extend((item, depth + 1) for item in node.values())
            else:
                stack.extend((item, depth + 1) for item in node)


def _encodable(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise JsonRefused(
            "A string in the JSON has a lone UTF-16 surrogate (\\ud800-\\udfff)."
        ) from exc
