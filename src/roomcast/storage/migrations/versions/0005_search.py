"""search: a trigram index of every message's current text (SQLite FTS5, PostgreSQL pg_trgm)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

SQLite: `messages_fts` is an external-content FTS5 table over `messages.content`, keyed by the
messages' rowid and kept by triggers in the writing transaction. A later migration that
rebuilds `messages` (Alembic's batch mode on SQLite copies the table) drops these triggers
and changes rowids: it must recreate them and run the 'rebuild' below again.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SQLITE_UP = (
    "CREATE VIRTUAL TABLE messages_fts USING fts5("
    "content, content='messages', content_rowid='rowid', tokenize='trigram')",
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content); END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN "
    "INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content); "
    "INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content); END",
    # Index the messages stored before this migration, then merge what 'rebuild' leaves into
    # one segment: else the first tens of thousands of commits after it pay for merging it in
    # bursts (measured: 3-4 times the index's steady cost per message).
    "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')",
    "INSERT INTO messages_fts (messages_fts) VALUES ('optimize')",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS messages_fts_update",
    "DROP TRIGGER IF EXISTS messages_fts_delete",
    "DROP TRIGGER IF EXISTS messages_fts_insert",
    "DROP TABLE IF EXISTS messages_fts",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_messages_content_trgm",
        "messages",
        ["content"],
        postgresql_using="gin",
        postgresql_ops={"content": "gin_trgm_ops"},
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
        return
    op.drop_index("ix_messages_content_trgm", table_name="messages")
