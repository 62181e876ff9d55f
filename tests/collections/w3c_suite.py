"""The W3C Web Annotation test suite's `must` assertions, read from ../shared (never copied)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

ENV = "GLOSS_W3C_TESTS"
REPO_ROOT = Path(__file__).resolve().parents[2]
SUITE_NAME = "w3c-web-annotation-tests"
BASE = "https://w3c-tests.invalid/"
MUSTS = {
    "annotation": "annotations/annotationMusts.test",
    "collection": "collections/collectionMusts.test",
    "page": "collections/pages/pageMusts.test",
}

# Every format this jsonschema can check ('uri' needs rfc3987), and 'date-time', which it checks
# only with an optional package; the suite's created/modified assertions rely on it.
FORMATS = FormatChecker()
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    return True


def _candidates() -> list[Path]:
    if os.environ.get(ENV):
        return [Path(os.environ[ENV])]
    found = [REPO_ROOT.parent / "shared" / SUITE_NAME]
    git = REPO_ROOT / ".git"
    if git.is_file():
        # A git worktree: `.git` names <main checkout>/.git/worktrees/<name>; the suite sits
        # next to the main checkout, as it does next to the repository in CI.
        gitdir = Path(git.read_text().split(":", 1)[1].strip())
        found.append(gitdir.parents[2].parent / "shared" / SUITE_NAME)
    return found


def locate() -> tuple[Path | None, str]:
    """The suite's folder, or None and why it was not found."""
    tried = _candidates()
    for path in tried:
        if (path / "definitions").is_dir():
            return path, ""
    where = ", ".join(str(p) for p in tried)
    return None, f"W3C Web Annotation test suite not found (looked in {where}; set {ENV})"


@dataclass(frozen=True)
class Assertion:
    name: str
    title: str
    must: bool
    expect_valid: bool
    validator: Draft4Validator


class W3CSuite:
    def __init__(self, root: Path) -> None:
        self.root = root

    @cached_property
    def registry(self) -> Registry[Any]:
        registry: Registry[Any] = Registry()
        for path in sorted((self.root / "definitions").glob("*.json")):
            resource = Resource.from_contents(
                json.loads(path.read_text()), default_specification=DRAFT4
            )
            registry = registry.with_resource(BASE + path.name, resource)
        return registry

    def assertions(self, test_file: str) -> list[Assertion]:
        spec = json.loads((self.root / test_file).read_text())
        out = []
        for relative in _flatten(spec["assertions"]):
            schema = json.loads((self.root / relative).read_text())
            name = Path(relative).name
            # Assertion files refer to the definitions by bare file name, so each is registered
            # under the same base as the definitions.
            registry = self.registry.with_resource(
                BASE + name, Resource.from_contents(schema, default_specification=DRAFT4)
            )
            validator = Draft4Validator(
                {"$ref": BASE + name},
                registry=registry,
                format_checker=FORMATS,
            )
            out.append(
                Assertion(
                    name=relative,
                    title=schema.get("title", relative),
                    must=schema.get("assertionType", "must") == "must",
                    expect_valid=schema.get("expectedResult", "valid") == "valid",
                    validator=validator,
                )
            )
        return out

    @cached_property
    def musts(self) -> dict[str, list[Assertion]]:
        return {kind: self.assertions(path) for kind, path in MUSTS.items()}

    def failures(self, kind: str, document: Any) -> list[str]:
        """The `must` assertions of `kind` the document fails (empty when it conforms)."""
        failed = []
        for assertion in self.musts[kind]:
            if assertion.must and assertion.validator.is_valid(document) != assertion.expect_valid:
                failed.append(assertion.name)
        return failed


def _flatten(items: list[Any]) -> list[str]:
    out: list[str] = []
    for item in items:
        if isinstance(item, list):
            out.extend(_flatten(item))
        elif isinstance(item, str):
            out.append(item)
    return out
