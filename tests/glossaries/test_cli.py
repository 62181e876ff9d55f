"""`gloss glossary import|export`: files in and out by extension, all or nothing, to stdout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gloss.glossaries import formats
from gloss.glossaries.schemas import TermImport
from gloss.glossaries.surface import fold
from tests.glossaries.test_import_export import CONTENT, TERMS, content
from tests.test_cli import gloss


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {"GLOSS_DATA_DIR": str(tmp_path / "data")}
    assert gloss("init", env=env).returncode == 0
    return env


def _content(data: bytes, fmt: str) -> list[dict[str, object]]:
    rows = formats.parse(data, fmt)  # type: ignore[arg-type]
    return content([TermImport.model_validate(row.data).model_dump() for row in rows])


def test_import_then_export_round_trips(cli_env: dict[str, str], tmp_path: Path) -> None:
    # In the order an export lists them, so the CSV comes back byte for byte.
    terms = sorted(TERMS, key=lambda t: fold(t["term"]))
    for fmt in ("csv", "json", "tbx"):
        source = tmp_path / f"terms.{fmt}"
        source.write_bytes(formats.write(terms, fmt))  # type: ignore[arg-type]
        imported = gloss("glossary", "import", str(source), "--glossary", fmt, env=cli_env)
        assert imported.returncode == 0, imported.stderr
        assert f"Created the glossary '{fmt}'" in imported.stderr
        assert f"{len(TERMS)} created" in imported.stderr
        assert "writing" in imported.stderr  # the progress bar

        out = tmp_path / f"again.{fmt}"
        written = gloss(
            "glossary", "export", "-g", fmt, "--format", fmt, "-o", str(out), env=cli_env
        )
        assert written.returncode == 0, written.stderr
        assert _content(out.read_bytes(), fmt) == content(TERMS)
        if fmt == "csv":
            assert out.read_bytes() == source.read_bytes()

    to_stdout = gloss("glossary", "export", "--glossary", "json", "--format", "json", env=cli_env)
    assert to_stdout.returncode == 0, to_stdout.stderr
    assert content(json.loads(to_stdout.stdout)) == content(TERMS)


def test_a_bad_file_reports_every_row_and_imports_nothing(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    good = tmp_path / "good.csv"
    good.write_text("term,definition\ninference,Running a model.\n", encoding="utf-8")
    assert gloss("glossary", "import", str(good), "-g", "G", env=cli_env).returncode == 0

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "term,definition,entity_label\nok,,\n,no term,\nx,,COMPANY\nInference,,\n",
        encoding="utf-8",
    )
    result = gloss("glossary", "import", str(bad), "-g", "G", "--no-progress", env=cli_env)
    assert result.returncode == 1
    assert "bad.csv: line 3:" in result.stderr
    assert "bad.csv: line 4: 'x' entity_label:" in result.stderr
    assert "bad.csv: line 5: 'Inference' term:" in result.stderr
    assert "nothing was imported" in result.stderr

    exported = gloss("glossary", "export", "-g", "G", "--format", "json", env=cli_env)
    assert [t["term"] for t in json.loads(exported.stdout)] == ["inference"]

    dry = gloss(
        "glossary", "import", str(good), "-g", "G", "--mode", "upsert", "--dry-run", env=cli_env
    )
    assert dry.returncode == 0, dry.stderr
    assert "Would import 1 rows" in dry.stderr

    missing = gloss("glossary", "export", "-g", "Nope", env=cli_env)
    assert missing.returncode == 1
    assert "no glossary named 'Nope'" in missing.stderr
    unknown = tmp_path / "terms.xlsx"
    unknown.write_bytes(b"x")
    assert gloss("glossary", "import", str(unknown), "-g", "G", env=cli_env).returncode == 2


def test_content_columns_match_the_csv_header() -> None:
    assert formats.CSV_COLUMNS == CONTENT
