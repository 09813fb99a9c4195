"""Alembic environment: migrate the database Goodwill is configured with."""
from alembic import context

from engine.db import Base

config = context.config


def run_migrations(connection) -> None:
    """Run migrations on the connection that engine.migrate hands over."""
    # SQLite cannot ALTER most things in place: batch mode rebuilds the table instead.
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


run_migrations(config.attributes["connection"])
