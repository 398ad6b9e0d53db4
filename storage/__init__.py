"""Durable records of what was shown and what clinicians said about it (SQLAlchemy Core).

SQLite by default, PostgreSQL (or any SQLAlchemy URL) through ``DATABASE_URL``. No signal values and
no clinical context are ever stored: an interpretation record keeps the finding, the generator and
the text shown, so feedback can be tied to it.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

RATINGS = ("clinical_accuracy", "relevance", "clarity", "actionability")

metadata = MetaData()

interpretations = Table(
    "interpretations", metadata,
    Column("id", String(36), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("kind", String(20), nullable=False),            # "classify" or "ask"
    Column("signal_type", String(8)),
    Column("label", String(80)),
    Column("confidence", Float),
    Column("model_version", String(80)),
    Column("generator", String(40), nullable=False),
    Column("text", Text, nullable=False),
    # Measured values and quality of a /classify result (explain.facts.stored_facts), as JSON:
    # what /ask answers "what is the heart rate?" from. Never the signal, never the context.
    Column("facts", Text, nullable=True),
)

feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("interpretation_id", String(36), ForeignKey("interpretations.id"), nullable=False,
           index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    *[Column(name, Integer, nullable=False) for name in RATINGS],
    Column("comment", Text),
)


class StoreUnavailable(Exception):
    """The database could not be read or written (down, read-only, disk full, locked too long)."""


@contextmanager
def _unavailable_on_database_error() -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:  # the type only: the statement may hold stored text
        raise StoreUnavailable(f"the record store is unavailable ({type(exc).__name__})") from None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite the folder is created and WAL mode lets workers share it."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):  # noqa: ANN001 - DB-API objects
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()
    return engine


class Store:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        metadata.create_all(self.engine)

    def save_interpretation(self, *, kind: str, generator: str, text: str,
                            signal_type: Optional[str] = None, label: Optional[str] = None,
                            confidence: Optional[float] = None,
                            model_version: Optional[str] = None,
                            facts: Optional[dict[str, Any]] = None) -> str:
        record_id = str(uuid.uuid4())
        with _unavailable_on_database_error(), self.engine.begin() as conn:
            conn.execute(interpretations.insert().values(
                id=record_id, created_at=_now(), kind=kind, signal_type=signal_type, label=label,
                confidence=confidence, model_version=model_version, generator=generator, text=text,
                facts=json.dumps(facts) if facts is not None else None))
        return record_id

    def get_interpretation(self, record_id: str) -> Optional[dict[str, Any]]:
        """A stored result's finding and facts (not its text), or None when there is no such id."""
        columns = [interpretations.c[name] for name in
                   ("id", "kind", "signal_type", "label", "confidence", "facts")]
        with _unavailable_on_database_error(), self.engine.connect() as conn:
            row = conn.execute(select(*columns).where(interpretations.c.id == record_id)).mappings().first()
        if row is None:
            return None
        record = dict(row)
        record["facts"] = json.loads(record["facts"]) if record["facts"] else None
        return record

    def interpretation_exists(self, record_id: str) -> bool:
        with _unavailable_on_database_error(), self.engine.connect() as conn:
            row = conn.execute(select(interpretations.c.id).where(interpretations.c.id == record_id))
            return row.first() is not None

    def save_feedback(self, interpretation_id: str, ratings: dict[str, int],
                      comment: Optional[str]) -> int:
        with _unavailable_on_database_error(), self.engine.begin() as conn:
            result = conn.execute(feedback.insert().values(
                interpretation_id=interpretation_id, created_at=_now(), comment=comment,
                **{name: int(ratings[name]) for name in RATINGS}))
            return int(result.inserted_primary_key[0])

    def feedback_summary(self) -> dict:
        """Mean rating per criterion and count, overall and per generator (the spec's Table V)."""
        columns = [func.avg(feedback.c[name]).label(name) for name in RATINGS]
        query = (select(interpretations.c.generator, func.count(feedback.c.id).label("n"), *columns)
                 .select_from(feedback.join(interpretations))
                 .group_by(interpretations.c.generator))
        with _unavailable_on_database_error(), self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        by_generator = {row["generator"]: {"n": row["n"], **{name: round(float(row[name]), 2)
                                                            for name in RATINGS}} for row in rows}
        total = sum(v["n"] for v in by_generator.values())
        overall = {name: round(sum(v[name] * v["n"] for v in by_generator.values()) / total, 2)
                   for name in RATINGS} if total else {}
        return {"n": total, "overall": overall, "by_generator": by_generator}

    def ping(self) -> bool:
        with self.engine.connect() as conn:
            conn.execute(select(1))
        return True
