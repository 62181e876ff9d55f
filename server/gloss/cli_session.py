"""Running one piece of command-line work against the configured database, in one transaction.

The root CLI (gloss.cli) and the domains' commands (gloss.articles.cli, gloss.glossaries.cli) all
use it, so no domain imports the root CLI."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from gloss.db import create_engine, create_sessionmaker, migrate
from gloss.errors import GlossError
from gloss.settings import Settings

T = TypeVar("T")


def err(message: str) -> None:
    typer.echo(message, err=True)


def run_in_session(work: Callable[[AsyncSession], Awaitable[T]], *, migrate_first: bool) -> T:
    """Open the configured database, optionally migrate it, run `work` in one transaction."""

    async def _main() -> T:
        settings = Settings()
        engine = create_engine(settings)
        try:
            if migrate_first:
                await migrate(engine)
            async with create_sessionmaker(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(_main())
    except GlossError as exc:
        err(f"error: {exc.detail}")
        raise typer.Exit(1) from exc
