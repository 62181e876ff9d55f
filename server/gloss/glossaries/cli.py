"""`gloss glossary import|export`: glossary files from and to the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy.ext.asyncio import AsyncSession

from gloss.cli_session import run_in_session
from gloss.errors import GlossError
from gloss.glossaries import formats, schemas, service, transfer
from gloss.settings import Settings

glossary_app = typer.Typer(help="Import and export glossaries.", no_args_is_help=True)

GlossaryOption = Annotated[str, typer.Option("--glossary", "-g", help="The glossary's name.")]
TeamOption = Annotated[str, typer.Option("--team", help="The team that owns it.")]


def _err(message: str) -> None:
    typer.echo(message, err=True)


@glossary_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A .csv, .json or .tbx file.", exists=True)],
    glossary: GlossaryOption,
    team: TeamOption = "default",
    mode: Annotated[
        str, typer.Option(help="create: add new terms only; upsert: also update by term.")
    ] = "create",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; change nothing.")
    ] = False,
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv, json or tbx (default: by extension).")
    ] = None,
    progress_bar: Annotated[
        bool, typer.Option("--progress/--no-progress", help="A progress bar on stderr.")
    ] = True,
) -> None:
    """Import FILE into the glossary (created when missing): all or nothing."""

    file_format = fmt or formats.format_for_filename(file.name)
    if file_format not in ("csv", "json", "tbx"):
        _err("error: say --format csv|json|tbx, or name the file .csv, .json or .tbx.")
        raise typer.Exit(2)
    if mode not in ("create", "upsert"):
        _err("error: --mode is create or upsert.")
        raise typer.Exit(2)
    size = file.stat().st_size
    if size > schemas.MAX_IMPORT_BYTES:
        _err(f"error: {file} is {size} bytes; the limit is {schemas.MAX_IMPORT_BYTES}.")
        raise typer.Exit(1)
    data = file.read_bytes()

    console = Console(stderr=True)
    bar = Progress(
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not progress_bar,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    async def work(session: AsyncSession) -> tuple[schemas.ImportResult, bool]:
        found, created = await service.glossary_by_name(session, team, glossary, create=not dry_run)
        try:
            result = await transfer.import_terms(
                session,
                found,
                None,
                data,
                file_format,  # type: ignore[arg-type]  # checked above
                mode=mode,  # type: ignore[arg-type]  # checked above
                dry_run=dry_run,
                team_limit=Settings().max_terms_per_team,
                progress=progress,
            )
        except GlossError as exc:
            bar.stop()
            for error in exc.extra.get("errors", []):
                where = f"line {error['line']}" if error.get("line") else "file"
                field = f" {error['field']}:" if error.get("field") else ""
                term = f" {error['term']!r}" if error.get("term") else ""
                _err(f"{file.name}: {where}:{term}{field} {error['message']}")
            raise
        for task in tasks.values():
            bar.update(task, completed=bar.tasks[task].total)
        return result, created

    with bar:
        result, created = run_in_session(work, migrate_first=True)
    if created:
        _err(f"Created the glossary {glossary!r} in the team {team!r}.")
    verb = "Would import" if dry_run else "Imported"
    _err(
        f"{verb} {result.rows} rows into {glossary!r}: {result.created} created, "
        f"{result.updated} updated, {result.unchanged} unchanged"
        + ("" if dry_run else f"; glossary version {result.glossary_version}.")
    )
    if dry_run:
        for change in result.changes:
            _err(f"  line {change.line}: {change.action} {change.term!r}")
        if result.changes_truncated:
            _err("  ...")


@glossary_app.command("export")
def export_command(
    glossary: GlossaryOption,
    fmt: Annotated[str, typer.Option("--format", help="csv, json or tbx.")] = "csv",
    team: TeamOption = "default",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Write the glossary as CSV, JSON or TBX to stdout (or -o FILE)."""

    if fmt not in ("csv", "json", "tbx"):
        _err("error: --format is csv, json or tbx.")
        raise typer.Exit(2)

    async def work(session: AsyncSession) -> bytes:
        found, _ = await service.glossary_by_name(session, team, glossary)
        return await transfer.export_terms(session, found, fmt)  # type: ignore[arg-type]

    data = run_in_session(work, migrate_first=False)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)
        _err(f"Wrote {output} ({len(data)} bytes).")
