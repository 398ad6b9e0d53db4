"""Bring a database to the newest schema with Alembic: ``python -m storage.migrate [--url URL]``.

``create_app`` runs the same upgrade at start-up (``Store``), so a plain deployment needs no extra
step; the command is for upgrading ahead of a release, or from a job that owns the schema. It works
on SQLite (batch mode: changes that SQLite cannot ALTER rebuild the table) and PostgreSQL (one
transaction, behind an advisory lock, so instances starting together migrate once). A database made
by the service before migrations existed (tables, no ``alembic_version``) is recognised as the
baseline revision and upgraded from there, keeping its rows.

A schema change is a new file in ``migrations/versions/`` (``down_revision`` = the newest one's
``revision``) together with the same change in ``schema.py``; ``tests/test_storage.py`` checks, on
both backends, that the migrated tables are the ones ``schema.py`` describes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from storage.engine import reading

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
# Any constant: PostgreSQL's advisory lock that serialises concurrent upgrades.
ADVISORY_LOCK_KEY = 220022


def alembic_config(connection: Connection) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(connection: Connection) -> Optional[str]:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Upgrade ``engine``'s database to the newest revision; returns that revision.

    A database already there is only read, so a read-only database still starts the service.
    """
    head = head_revision()
    with reading(engine) as connection:
        if current_revision(connection) == head:
            return head
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        config = alembic_config(connection)
        tables = set(inspect(connection).get_table_names())
        if "alembic_version" not in tables and "interpretations" in tables:
            command.stamp(config, BASELINE)  # made by create_all before migrations existed
        command.upgrade(config, "head")
        return current_revision(connection) or ""


def main(argv: Optional[list[str]] = None) -> int:
    from service.config import Config
    from storage.engine import make_engine

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: DATABASE_URL, else the SQLite file)")
    args = parser.parse_args(argv)
    engine = make_engine(args.url or Config.from_sources().database_url)
    print(f"database at revision {upgrade(engine)} (newest: {head_revision()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
