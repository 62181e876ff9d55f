"""The article change log on PostgreSQL too, and a vector's change logged as its article's, so
each process's in-memory vector index (gloss.search.vector_index) catches up on both databases.

Revision ID: 20261204_vector_changes
Revises: 20261204_token_expiry
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261204_vector_changes"
down_revision: str | None = "20261204_token_expiry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite has the log since 20261130_article_changes; a vector stored, replaced or dropped moves
# its article to a new sequence as well (its article may be gone: then nothing is logged, the
# article's own delete was).
_SQLITE_VECTOR_LOG = (
    "DELETE FROM article_changes WHERE doc_id = (SELECT doc_id FROM articles WHERE id = {row}."
    "article_id); INSERT INTO article_changes(doc_id) SELECT doc_id FROM articles WHERE id = "
    "{row}.article_id;"
)
SQLITE = [
    "CREATE TRIGGER article_vector_changes_ai AFTER INSERT ON article_vectors BEGIN "
    + _SQLITE_VECTOR_LOG.format(row="new")
    + " END",
    "CREATE TRIGGER article_vector_changes_au AFTER UPDATE ON article_vectors BEGIN "
    + _SQLITE_VECTOR_LOG.format(row="new")
    + " END",
    "CREATE TRIGGER article_vector_changes_ad AFTER DELETE ON article_vectors BEGIN "
    + _SQLITE_VECTOR_LOG.format(row="old")
    + " END",
]
# PostgreSQL: the same table (a sequence instead of AUTOINCREMENT) and row triggers in PL/pgSQL.
# An upsert moves a key to a fresh sequence value in one statement.
POSTGRES = [
    "CREATE TABLE article_changes (seq BIGSERIAL PRIMARY KEY, doc_id BIGINT NOT NULL UNIQUE)",
    """CREATE FUNCTION gloss_log_article_change(key BIGINT) RETURNS void AS $$
    BEGIN
      IF key IS NOT NULL THEN
        INSERT INTO article_changes(doc_id) VALUES (key)
        ON CONFLICT (doc_id) DO UPDATE SET seq = nextval('article_changes_seq_seq');
      END IF;
    END $$ LANGUAGE plpgsql""",
    """CREATE FUNCTION gloss_article_changed() RETURNS trigger AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN PERFORM gloss_log_article_change(OLD.doc_id); END IF;
      IF TG_OP <> 'DELETE' THEN PERFORM gloss_log_article_change(NEW.doc_id); END IF;
      RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE FUNCTION gloss_article_vector_changed() RETURNS trigger AS $$
    DECLARE
      changed UUID;
    BEGIN
      IF TG_OP = 'DELETE' THEN changed := OLD.article_id; ELSE changed := NEW.article_id; END IF;
      PERFORM gloss_log_article_change((SELECT doc_id FROM articles WHERE id = changed));
      RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER article_changes_log AFTER INSERT OR DELETE OR UPDATE OF title, text, doc_id, "
    "team_id ON articles FOR EACH ROW EXECUTE FUNCTION gloss_article_changed()",
    "CREATE TRIGGER article_vector_changes_log AFTER INSERT OR DELETE OR UPDATE ON "
    "article_vectors FOR EACH ROW EXECUTE FUNCTION gloss_article_vector_changed()",
    # Articles stored before this revision: logged once, so a first build has a mark.
    "INSERT INTO article_changes(doc_id) SELECT doc_id FROM articles ORDER BY doc_id",
]


def upgrade() -> None:
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRES:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in (
            "article_vector_changes_ai",
            "article_vector_changes_au",
            "article_vector_changes_ad",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    op.execute("DROP TRIGGER IF EXISTS article_vector_changes_log ON article_vectors")
    op.execute("DROP TRIGGER IF EXISTS article_changes_log ON articles")
    op.execute("DROP FUNCTION IF EXISTS gloss_article_vector_changed()")
    op.execute("DROP FUNCTION IF EXISTS gloss_article_changed()")
    op.execute("DROP FUNCTION IF EXISTS gloss_log_article_change(BIGINT)")
    op.execute("DROP TABLE IF EXISTS article_changes")
