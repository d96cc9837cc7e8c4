from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from roomcast.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through roomcast.storage.migrate (roomcast migrate)")
run_on(connection)
