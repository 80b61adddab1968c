"""Where the ledger lives and how its schema is brought up to date (Alembic, shipped with the package)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_FILE = "ledger.sqlite3"


class LedgerError(RuntimeError):
    """The ledger's database cannot be used as configured (bad URL, schema not migrated)."""


def ledger_url(database_url: str | None, data_dir: Path) -> str:
    """`IQUEST_DATABASE_URL`, or SQLite in the data folder. Bare `postgresql://` URLs use
    psycopg 3 (SQLAlchemy's default PostgreSQL driver is psycopg2, which is not installed)."""
    if not database_url:
        return f"sqlite:///{(data_dir / SQLITE_FILE).resolve()}"
    try:
        url = make_url(database_url)
    except Exception as error:  # SQLAlchemy's ArgumentError, and anything a bad URL raises
        raise LedgerError(f"IQUEST_DATABASE_URL is not a database URL: {error}") from error
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if not url.drivername.startswith(("sqlite", "postgresql")):
        raise LedgerError(
            f"IQUEST_DATABASE_URL names '{url.drivername}'; the ledger supports sqlite and postgresql"
        )
    return url.render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    """An engine; for SQLite its folder is created and foreign keys are enforced."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _foreign_keys(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(url: str) -> Config:
    # The migrations are package data: found next to this module, installed or not.
    location = resources.files("workers.ledger").joinpath("migrations")
    config = Config()
    config.set_main_option("script_location", str(location))
    # '%' is configparser's interpolation character; URLs may carry it (escaped passwords).
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> str:
    """Apply every migration up to `revision`; returns the revision now current."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = _alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        return current_revision(engine) or ""
    finally:
        engine.dispose()


def head_revision() -> str:
    return ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current(engine: Engine) -> None:
    """Refuse to write to a schema `iquest db upgrade` has not brought up to date."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise LedgerError(
            f"the ledger database is at revision {current or 'none'}, not {head}: "
            "run `iquest db upgrade`"
        )
