"""Engines for SQLite and PostgreSQL, and the one error the rest of the service sees."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

# Execution option for connections that only read (SQLite then takes no write lock).
READ_ONLY = "clinical_read_only"


def reading(engine: Engine) -> Connection:
    """A connection for reads only."""
    return engine.connect().execution_options(**{READ_ONLY: True})


class StoreUnavailable(Exception):
    """The database could not be read or written (down, read-only, disk full, locked too long)."""


@contextmanager
def unavailable_on_database_error() -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:  # the type only: the statement may hold stored text
        raise StoreUnavailable(f"the record store is unavailable ({type(exc).__name__})") from None


WAL_ATTEMPTS = 100  # about 10 s in all, as long as busy_timeout lets any statement wait


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    """Switch the database file to WAL (a no-op once it is; the mode is stored in the file).

    The switch needs the file to itself, and SQLite answers "database is locked" at once, without
    waiting out busy_timeout, when another connection opening a new database at the same moment
    holds a lock: several workers starting together on a new file then fail at random. So it is
    retried for about as long as busy_timeout would have waited."""
    for attempt in range(WAL_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_ATTEMPTS - 1:
                raise
            time.sleep(0.1)


def make_engine(url: str) -> Engine:
    """An engine for ``url``.

    SQLite: the folder is created, WAL mode lets gunicorn's workers share the file, and every
    transaction starts with ``BEGIN IMMEDIATE`` (the write lock up front, waiting up to
    ``busy_timeout``), so that a read-then-write transaction cannot fail when another worker wrote
    in between.
    """
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:" and "mode=ro" not in url:
        Path(url.removeprefix("sqlite:///").split("?")[0]).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):  # noqa: ANN001 - DB-API objects
            connection.isolation_level = None  # transactions are begun below, not by the driver
            cursor = connection.cursor()
            cursor.execute("PRAGMA busy_timeout=10000")
            if "mode=ro" not in url:
                _enable_wal(cursor)
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection):  # noqa: ANN001
            reading = connection.get_execution_options().get(READ_ONLY, False)
            connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

    return engine
