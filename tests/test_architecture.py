"""The one-way picture of server/gloss, read from the code's own imports (ADR 0009).

Every import counts, function-level ones included; only those under `if TYPE_CHECKING:` are left
out (they never run). A room is a top-level module or package of `gloss` (`annotate`, `db`,
`nlp`, ...). The rules: no cycle between rooms, `nlp` imports nothing of gloss outside itself,
and no room but the command line's entry points imports the root CLI (`gloss.cli`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import gloss

PACKAGE_DIR = Path(gloss.__file__).parent
# The root CLI, and the modules allowed to import it (the `python -m gloss` entry point).
ROOT_CLI = "gloss.cli"
CLI_ENTRY_POINTS = {"gloss.__main__"}


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    imported: str  # dotted module name (a module of the package, never an attribute)
    line: int


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the nodes under `if TYPE_CHECKING:` (or `typing.TYPE_CHECKING`)."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.body:
                hidden.update(id(n) for n in ast.walk(statement))
    return hidden


def package_imports(root: Path) -> Iterator[Import]:
    """Every import of the package at `root` by one of its own modules, of one of them."""
    package = root.name
    modules = {_module_name(p, root): p for p in root.rglob("*.py")}

    def as_module(name: str) -> str | None:
        # `from gloss.x import y`: y is a module if the package has one by that name, else
        # an attribute of gloss.x.
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    for name, path in sorted(modules.items()):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        hidden = _type_checking_only(tree)
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if id(node) in hidden:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".") if is_package else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                if target != package and not target.startswith(package + "."):
                    continue
                module = as_module(target)
                if module is not None and module != name:
                    yield Import(name, module, node.lineno)


def room(module: str) -> str:
    """The top-level room of a dotted module name: gloss.annotate.service -> annotate."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def room_graph(imports: list[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for found in imports:
        a, b = room(found.importer), room(found.imported)
        graph.setdefault(a, set())
        graph.setdefault(b, set())
        if a != b:
            graph[a].add(b)
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one room (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _explain(imports: list[Import], component: list[str]) -> str:
    lines = [
        f"  {i.importer} (line {i.line}) imports {i.imported}"
        for i in imports
        if room(i.importer) in component
        and room(i.imported) in component
        and room(i.importer) != room(i.imported)
    ]
    return f"rooms {component} import each other:\n" + "\n".join(lines)


IMPORTS = list(package_imports(PACKAGE_DIR))


def test_the_imports_were_read() -> None:
    # A reader that found nothing would pass every rule below.
    assert len(IMPORTS) > 300
    assert Import("gloss.annotate.routes", "gloss.annotate.service", 10) in {
        Import(i.importer, i.imported, 10) for i in IMPORTS
    }


def test_no_cycle_between_rooms() -> None:
    found = cycles(room_graph(IMPORTS))
    assert not found, "\n".join(_explain(IMPORTS, c) for c in found)


def test_the_nlp_engine_imports_nothing_outside_itself() -> None:
    outside = [i for i in IMPORTS if room(i.importer) == "nlp" and room(i.imported) != "nlp"]
    assert not outside, outside


def test_no_domain_imports_the_root_cli() -> None:
    offenders = [
        i for i in IMPORTS if i.imported == ROOT_CLI and i.importer not in CLI_ENTRY_POINTS
    ]
    assert not offenders, offenders


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return root


def test_the_rules_catch_what_they_are_for(tmp_path: Path) -> None:
    """The reader and the cycle finder on a made-up package with each fault planted."""
    root = _write(
        tmp_path / "gloss",
        {
            "__init__.py": "",
            "cli.py": "from gloss.a import service\n",
            "a/__init__.py": "",
            # A function-level import still counts...
            "a/service.py": "def f():\n    from gloss.b.service import g\n",
            # ...a relative one too, and one of a name from a package's __init__.
            "b/__init__.py": "from .service import g\n",
            "b/service.py": "from ..c import helper\ndef g(): ...\n",
            "c.py": "from gloss import cli\nhelper = 1\n",
            # Under TYPE_CHECKING it never runs: not an import.
            "nlp/__init__.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from gloss.a import service\n",
            "nlp/terms.py": "from gloss.c import helper\n",
        },
    )
    imports = list(package_imports(root))
    graph = room_graph(imports)
    assert cycles(graph) == [["a", "b", "c", "cli"]]
    assert [i.importer for i in imports if i.imported == "gloss.cli"] == ["gloss.c"]
    assert {(i.importer, i.imported) for i in imports if room(i.importer) == "nlp"} == {
        ("gloss.nlp.terms", "gloss.c")
    }
    assert cycles({"x": {"y"}, "y": set()}) == []
