"""Durable records of what was shown and what clinicians said about it (SQLAlchemy Core).

SQLite by default, PostgreSQL through ``DATABASE_URL``. No signal values and no clinical context are
ever stored: an interpretation record keeps the finding, the generator, what produced the text
(language-model and knowledge-base versions) and the text shown, so feedback can be tied to it.
Feedback comments may hold patient details: they are stored, never logged, exported only when asked
and can be erased per interpretation (:meth:`Store.delete_comments`).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any, Mapping, Optional

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from storage import migrate
from storage.engine import make_engine, reading, unavailable_on_database_error
from storage.schema import RATINGS, feedback, interpretations
from storage.summary import summarise


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Store:
    """The service's records; the schema is brought up to date (Alembic) when it is opened."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.revision = migrate.upgrade(self.engine)
        self.engine.dispose()  # no pooled connection survives into forked gunicorn workers

    def save_interpretation(
        self,
        *,
        kind: str,
        generator: str,
        text: str,
        signal_type: Optional[str] = None,
        label: Optional[str] = None,
        confidence: Optional[float] = None,
        model_version: Optional[str] = None,
        language_model_version: Optional[str] = None,
        knowledge_base_version: Optional[str] = None,
        facts: Optional[Mapping[str, Any]] = None,
    ) -> str:
        record_id = str(uuid.uuid4())
        with unavailable_on_database_error(), self.engine.begin() as conn:
            conn.execute(
                interpretations.insert().values(
                    id=record_id,
                    created_at=_now(),
                    kind=kind,
                    signal_type=signal_type,
                    label=label,
                    confidence=confidence,
                    model_version=model_version,
                    generator=generator,
                    text=text,
                    language_model_version=language_model_version,
                    knowledge_base_version=knowledge_base_version,
                    facts=None if facts is None else json.dumps(facts),
                )
            )
        return record_id

    def get_interpretation(self, record_id: str) -> Optional[dict[str, Any]]:
        """A stored result's finding and facts (not its text), or None when there is no such id."""
        columns = [interpretations.c[name] for name in ("id", "kind", "signal_type", "label", "confidence", "facts")]
        with unavailable_on_database_error(), reading(self.engine) as conn:
            row = conn.execute(select(*columns).where(interpretations.c.id == record_id)).mappings().first()
        if row is None:
            return None
        record = dict(row)
        record["facts"] = json.loads(record["facts"]) if record["facts"] else None
        return record

    def interpretation_exists(self, record_id: str) -> bool:
        with unavailable_on_database_error(), reading(self.engine) as conn:
            row = conn.execute(select(interpretations.c.id).where(interpretations.c.id == record_id))
            return row.first() is not None

    def save_feedback(
        self,
        interpretation_id: str,
        ratings: Mapping[str, int],
        comment: Optional[str],
        rater_id: Optional[str] = None,
        role: Optional[str] = None,
    ) -> tuple[int, bool]:
        """Store a rating; ``(feedback_id, created)``.

        One rating per rater and interpretation: a rater's second rating replaces the first (same
        id, ``created`` False), also when two of their requests race. Without ``rater_id`` every
        rating is new (an anonymous rater each time).
        """
        values = {"comment": comment, "role": role, **{name: int(ratings[name]) for name in RATINGS}}
        with unavailable_on_database_error(), self.engine.begin() as conn:
            if rater_id is not None:
                existing = self._replace(conn, interpretation_id, rater_id, values)
                if existing is not None:
                    return existing, False
            try:
                with conn.begin_nested():
                    result = conn.execute(
                        feedback.insert().values(
                            interpretation_id=interpretation_id, rater_id=rater_id, created_at=_now(), **values
                        )
                    )
                return int(result.inserted_primary_key[0]), True
            except IntegrityError:
                # The same rater's other request inserted first and has committed: replace its row.
                existing = None if rater_id is None else self._replace(conn, interpretation_id, rater_id, values)
                if existing is None:
                    raise
                return existing, False

    @staticmethod
    def _replace(
        conn,
        interpretation_id: str,
        rater_id: str,  # noqa: ANN001 - a Connection
        values: Mapping[str, Any],
    ) -> Optional[int]:
        result = conn.execute(
            update(feedback)
            .where(feedback.c.interpretation_id == interpretation_id, feedback.c.rater_id == rater_id)
            .values(updated_at=_now(), **values)
            .returning(feedback.c.id)
        )
        row = result.first()
        return None if row is None else int(row[0])

    def delete_comments(self, interpretation_id: str) -> Optional[int]:
        """Erase the comments of every rating of an interpretation (the ratings stay); how many
        were erased, or None when there is no such interpretation."""
        with unavailable_on_database_error(), self.engine.begin() as conn:
            if (
                conn.execute(select(interpretations.c.id).where(interpretations.c.id == interpretation_id)).first()
                is None
            ):
                return None
            result = conn.execute(
                update(feedback)
                .where(feedback.c.interpretation_id == interpretation_id, feedback.c.comment.is_not(None))
                .values(comment=None)
            )
            return int(result.rowcount)

    def rated_interpretations(self) -> list[dict[str, Any]]:
        """Every rating joined to what it rates (for the summary and the export), oldest first."""
        query = (
            select(
                feedback.c.id.label("feedback_id"),
                feedback.c.rater_id,
                feedback.c.role,
                feedback.c.comment,
                *[feedback.c[name] for name in RATINGS],
                interpretations.c.id.label("interpretation_id"),
                interpretations.c.kind,
                interpretations.c.signal_type,
                interpretations.c.label,
                interpretations.c.confidence,
                interpretations.c.model_version,
                interpretations.c.generator,
                interpretations.c.text,
                interpretations.c.language_model_version,
                interpretations.c.knowledge_base_version,
            )
            .select_from(feedback.join(interpretations))
            .order_by(feedback.c.id)
        )
        with unavailable_on_database_error(), reading(self.engine) as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def feedback_summary(self) -> dict[str, Any]:
        """The spec's Table V from the store: see :func:`storage.summary.summarise`."""
        return summarise(self.rated_interpretations())

    def ping(self) -> bool:
        with reading(self.engine) as conn:
            conn.execute(select(1))
        return True
