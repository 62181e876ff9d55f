"""The article change log also records what the in-memory related index now keeps of each
article besides its words and vector: an update of only its date or its duplicate link, and its
mentions replaced without the article being written (`refresh_mentions`).

Revision ID: 20261206_change_log_facts
Revises: 20261205_change_log_transactions
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261206_change_log_facts"
down_revision: str | None = "20261205_change_log_transactions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ARTICLE_COLUMNS = "title, text, doc_id, team_id"
_FACT_COLUMNS = f"{_ARTICLE_COLUMNS}, published_at, duplicate_of_id"

# SQLite: the update trigger of 20261130_article_changes, on two more columns; and a mention's
# insert, update or delete logged as its article's change, as a vector's is (its article may be
# gone: a cascade from the article's delete, which logged itself). Row triggers: SQLite has no
# others; an article's mentions replaced move its log row once per mention row, each time to a
# new sequence, which costs a few microseconds a row and leaves one row in the log.
_SQLITE_LOG = (
    "DELETE FROM article_changes WHERE doc_id = {row}.doc_id; "
    "INSERT INTO article_changes(doc_id) VALUES ({row}.doc_id);"
)
_SQLITE_MENTION_LOG = (
    "DELETE FROM article_changes WHERE doc_id = (SELECT doc_id FROM articles WHERE id = {row}."
    "article_id); INSERT INTO article_changes(doc_id) SELECT doc_id FROM articles WHERE id = "
    "{row}.article_id;"
)


def _sqlite_update_trigger(columns: str) -> str:
    return (
        f"CREATE TRIGGER article_changes_au AFTER UPDATE OF {columns} ON articles BEGIN "
        + _SQLITE_LOG.format(row="old")
        + " "
        + _SQLITE_LOG.format(row="new")
        + " END"
    )


SQLITE = [
    "DROP TRIGGER IF EXISTS article_changes_au",
    _sqlite_update_trigger(_FACT_COLUMNS),
    "CREATE TRIGGER article_mention_changes_ai AFTER INSERT ON article_mentions BEGIN "
    + _SQLITE_MENTION_LOG.format(row="new")
    + " END",
    "CREATE TRIGGER article_mention_changes_au AFTER UPDATE ON article_mentions BEGIN "
    + _SQLITE_MENTION_LOG.format(row="old")
    + " "
    + _SQLITE_MENTION_LOG.format(row="new")
    + " END",
    "CREATE TRIGGER article_mention_changes_ad AFTER DELETE ON article_mentions BEGIN "
    + _SQLITE_MENTION_LOG.format(row="old")
    + " END",
]
# PostgreSQL: the articles trigger on two more columns, and statement triggers on the mentions
# (one log write per article a statement touched, not one per mention row) reading the
# statement's rows from its transition table; PostgreSQL allows one event per such trigger.
_PG_MENTIONS_CHANGED = """CREATE FUNCTION gloss_article_mentions_changed() RETURNS trigger AS $$
    BEGIN
      INSERT INTO article_changes(doc_id)
      SELECT DISTINCT a.doc_id FROM changed_mentions m JOIN articles a ON a.id = m.article_id
      ON CONFLICT (doc_id) DO UPDATE
      SET seq = nextval('article_changes_seq_seq'), xid = pg_current_xact_id();
      RETURN NULL;
    END $$ LANGUAGE plpgsql"""


def _pg_articles_trigger(columns: str) -> str:
    return (
        f"CREATE TRIGGER article_changes_log AFTER INSERT OR DELETE OR UPDATE OF {columns} "
        "ON articles FOR EACH ROW EXECUTE FUNCTION gloss_article_changed()"
    )


def _pg_mentions_trigger(event: str) -> str:
    table = "OLD" if event == "DELETE" else "NEW"
    return (
        f"CREATE TRIGGER article_mention_changes_{event.lower()} AFTER {event} ON "
        f"article_mentions REFERENCING {table} TABLE AS changed_mentions "
        "FOR EACH STATEMENT EXECUTE FUNCTION gloss_article_mentions_changed()"
    )


POSTGRES = [
    "DROP TRIGGER IF EXISTS article_changes_log ON articles",
    _pg_articles_trigger(_FACT_COLUMNS),
    _PG_MENTIONS_CHANGED,
    _pg_mentions_trigger("INSERT"),
    _pg_mentions_trigger("UPDATE"),
    _pg_mentions_trigger("DELETE"),
]


def upgrade() -> None:
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRES:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in (
            "article_mention_changes_ai",
            "article_mention_changes_au",
            "article_mention_changes_ad",
            "article_changes_au",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(_sqlite_update_trigger(_ARTICLE_COLUMNS))
        return
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS article_mention_changes_{event} ON article_mentions")
    op.execute("DROP FUNCTION IF EXISTS gloss_article_mentions_changed()")
    op.execute("DROP TRIGGER IF EXISTS article_changes_log ON articles")
    op.execute(_pg_articles_trigger(_ARTICLE_COLUMNS))
