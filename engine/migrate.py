"""Database migrations (Alembic, shipped in the package): upgrade, and check we are current."""
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseBehind(RuntimeError):
    """The database's schema is older than the code."""


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    """Apply every shipped migration the database lacks."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def head_revision() -> str:
    """Return the newest shipped revision."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current(engine: Engine) -> None:
    """Refuse to run on a database whose schema is behind the code, saying what to run."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise DatabaseBehind(f"the database is at migration {current or 'none'}, the code needs "
                             f"{head}: run `goodwill db upgrade` with GOODWILL_DATABASE_URL set")
