"""The `gloss` command line: set up the database, serve, and manage tokens."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from gloss.articles.cli import app as articles_app
from gloss.cli_session import err, run_in_session
from gloss.errors import GlossError
from gloss.glossaries.cli import glossary_app
from gloss.models import Role
from gloss.settings import Settings

T = TypeVar("T")

app = typer.Typer(
    name="gloss",
    help="Gloss: entities, glossary terms, related articles and team highlights for any page.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
token_app = typer.Typer(help="Create API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(articles_app, name="articles")
app.add_typer(glossary_app, name="glossary")


@app.command()
def init(
    ensure_token: Annotated[
        bool,
        typer.Option(
            "--ensure-token",
            help="Print a new admin token even when the database was already set up.",
        ),
    ] = False,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="On a fresh database, load the demo articles and glossary too."
        ),
    ] = False,
) -> None:
    """Create or migrate the database, the user `admin` and the team `default`; print the
    admin token once. Safe to run twice."""
    from gloss.bootstrap import initialise

    settings = Settings()
    result = run_in_session(lambda s: initialise(s, ensure_token=ensure_token), migrate_first=True)
    where = settings.resolved_database_url.split("@")[-1]
    if result.created:
        err(f"Initialised {where}: user 'admin', team 'default'.")
        err("Admin token (shown once, keep it safe):")
    else:
        err(f"Already initialised ({where}); nothing changed.")
        if result.token:
            err("New admin token:")
    if result.token:
        typer.echo(result.token)
    if demo and result.created:
        _load_demo(settings, "default")


def _load_demo(settings: Settings, team: str) -> None:
    from gloss.articles.cli import nlp_runtime
    from gloss.demo import load_demo

    async def work(session: AsyncSession) -> str:
        async with nlp_runtime(settings) as nlp:
            loaded = await load_demo(session, team, nlp)
        return (
            f"glossary terms {loaded.terms_created} created, {loaded.terms_unchanged} unchanged; "
            f"articles {loaded.created} created, {loaded.updated} updated, "
            f"{loaded.unchanged} unchanged"
        )

    summary = run_in_session(work, migrate_first=True)
    err(f"Demo workspace in team {team!r}: {summary}.")


@app.command()
def demo(
    team: Annotated[str, typer.Option(help="The team to load the demo into.")] = "default",
) -> None:
    """Load the demo articles (and glossary) into TEAM; loading twice changes nothing."""
    _load_demo(Settings(), team)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
    migrate_on_start: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Apply pending migrations first.")
    ] = True,
) -> None:
    """Serve the Gloss API."""
    import os

    import uvicorn

    from gloss.observability import configure_logging

    if migrate_on_start:
        os.environ["GLOSS_MIGRATE_ON_START"] = "true"
    settings = Settings()
    # Gloss formats uvicorn's lines too (JSON with GLOSS_LOG_FORMAT=json), in the supervising
    # process here and in each worker (create_app), so uvicorn is given no config of its own.
    configure_logging(settings.log_format, settings.log_level)
    serving = f"Gloss serving on http://{host}:{port} (health: /healthz, API docs: /docs)"
    if settings.log_format == "json":
        logging.getLogger("gloss.cli").warning(serving)  # one line of the JSON log
    else:
        err(serving)
    uvicorn.run(
        "gloss.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        log_level="warning",
        proxy_headers=True,
    )


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Argument(help="User name; created if missing.")],
    team: Annotated[
        str, typer.Option(help="Team to add the user to if not a member yet.")
    ] = "default",
    role: Annotated[
        Role | None, typer.Option(help="Role in the team (default editor for a new member).")
    ] = None,
    name: Annotated[str, typer.Option(help="A name for the token.")] = "cli",
) -> None:
    """Create USER (and the membership) if missing and print a new token, nothing else."""
    from gloss.bootstrap import ensure_user_token

    _, _, secret = run_in_session(
        lambda s: ensure_user_token(s, user, team, role, name), migrate_first=False
    )
    typer.echo(secret)


@app.command("backup")
def backup_command(
    destination: Annotated[Path, typer.Argument(help="File to write the backup to.")],
) -> None:
    """Copy the SQLite database to DESTINATION while the server keeps running."""
    from gloss.backup import backup

    settings = Settings()
    with _progress("Backing up") as report:
        try:
            written = backup(settings.resolved_database_url, destination, report)
        except GlossError as exc:
            err(f"error: {exc.detail}")
            raise typer.Exit(1) from exc
    err(f"Backup written to {written}.")


@app.command("restore")
def restore_command(
    source: Annotated[Path, typer.Argument(help="A file written by `gloss backup`.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the current database without asking.")
    ] = False,
) -> None:
    """Replace the SQLite database with a backup. Stop the server first."""
    from gloss.backup import restore

    settings = Settings()
    if not yes:
        typer.confirm(
            f"Replace {settings.resolved_database_url} with {source}?", abort=True, err=True
        )
    with _progress("Restoring") as report:
        try:
            restored = restore(settings.resolved_database_url, source, report)
        except GlossError as exc:
            err(f"error: {exc.detail}")
            raise typer.Exit(1) from exc
    err(f"Restored {restored} from {source}; run `gloss init` to apply newer migrations.")


@contextmanager
def _progress(what: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr; callers report (done, total)."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

    with Progress(
        f"[bold]{what}",
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=_stderr_console(),
        transient=False,
    ) as progress:
        task = progress.add_task(what, total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield report


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
