"""`gloss glossary import|export`: files in and out by extension, all or nothing, to stdout.

Most run in process (typer's CliRunner, the same code without a Python start-up per call);
one runs the real `gloss` command to see the progress bar drawn."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from gloss.cli import app
from gloss.glossaries import formats
from gloss.glossaries.schemas import TermImport
from gloss.glossaries.surface import fold
from tests.glossaries.test_import_export import CONTENT, TERMS, content
from tests.test_cli import gloss

Cli = Callable[..., Result]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"GLOSS_DATA_DIR": str(tmp_path / "data"), "GLOSS_LOAD_NLP": "false"}


@pytest.fixture
def cli(env: dict[str, str]) -> Cli:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), env=env)

    assert invoke("init").exit_code == 0
    return invoke


def _content(data: bytes, fmt: str) -> list[dict[str, Any]]:
    rows = formats.parse(data, fmt)  # type: ignore[arg-type]
    return content([TermImport.model_validate(row.data).model_dump() for row in rows])


def test_import_then_export_round_trips(cli: Cli, tmp_path: Path) -> None:
    # In the order an export lists them, so the CSV comes back byte for byte.
    terms = sorted(TERMS, key=lambda t: fold(t["term"]))
    for fmt in ("csv", "json", "tbx"):
        source = tmp_path / f"terms.{fmt}"
        source.write_bytes(formats.write(terms, fmt))  # type: ignore[arg-type]
        imported = cli("glossary", "import", str(source), "--glossary", fmt)
        assert imported.exit_code == 0, imported.stderr
        assert f"Created the glossary '{fmt}'" in imported.stderr
        assert f"{len(TERMS)} created" in imported.stderr

        out = tmp_path / f"again.{fmt}"
        written = cli("glossary", "export", "-g", fmt, "--format", fmt, "-o", str(out))
        assert written.exit_code == 0, written.stderr
        assert _content(out.read_bytes(), fmt) == content(TERMS)
        if fmt == "csv":
            assert out.read_bytes() == source.read_bytes()

    to_stdout = cli("glossary", "export", "--glossary", "json", "--format", "json")
    assert to_stdout.exit_code == 0, to_stdout.stderr
    assert content(json.loads(to_stdout.stdout)) == content(TERMS)


def test_a_bad_file_reports_every_row_and_imports_nothing(cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("term,definition\ninference,Running a model.\n", encoding="utf-8")
    assert cli("glossary", "import", str(good), "-g", "G").exit_code == 0

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "term,definition,entity_label\nok,,\n,no term,\nx,,COMPANY\nInference,,\n",
        encoding="utf-8",
    )
    result = cli("glossary", "import", str(bad), "-g", "G", "--no-progress")
    assert result.exit_code == 1
    assert "bad.csv: line 3:" in result.stderr
    assert "bad.csv: line 4: 'x' entity_label:" in result.stderr
    assert "bad.csv: line 5: 'Inference' term:" in result.stderr
    assert "nothing was imported" in result.stderr

    exported = cli("glossary", "export", "-g", "G", "--format", "json")
    assert [t["term"] for t in json.loads(exported.stdout)] == ["inference"]

    dry = cli("glossary", "import", str(good), "-g", "G", "--mode", "upsert", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "Would import 1 rows" in dry.stderr

    missing = cli("glossary", "export", "-g", "Nope")
    assert missing.exit_code == 1
    assert "no glossary named 'Nope'" in missing.stderr
    unknown = tmp_path / "terms.xlsx"
    unknown.write_bytes(b"x")
    assert cli("glossary", "import", str(unknown), "-g", "G").exit_code == 2
    assert cli("glossary", "import", str(good), "-g", "G", "--team", "nope").exit_code == 1


def test_the_gloss_command_draws_a_progress_bar(
    cli: Cli, env: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "terms.csv"
    source.write_bytes(formats.write(TERMS, "csv"))
    imported = gloss("glossary", "import", str(source), "--glossary", "Desk", env=env)
    assert imported.returncode == 0, imported.stderr
    assert "checking" in imported.stderr
    assert "writing" in imported.stderr
    assert f"{len(TERMS)} created" in imported.stderr
    assert imported.stdout == ""


def test_content_columns_match_the_csv_header() -> None:
    assert formats.CSV_COLUMNS == CONTENT
