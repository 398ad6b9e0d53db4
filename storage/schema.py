"""The tables as the queries see them. Alembic migrations (``storage/migrations``) create and change
them; this file and the newest migration describe the same schema (a test compares them)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, ForeignKey, Integer, MetaData, String, Table, Text, UniqueConstraint

RATINGS = ("clinical_accuracy", "relevance", "clarity", "actionability")

metadata = MetaData()

interpretations = Table(
    "interpretations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("kind", String(20), nullable=False),  # "classify" or "ask"
    Column("signal_type", String(8)),
    Column("label", String(80)),
    Column("confidence", Float),
    Column("model_version", String(80)),  # the classifier's
    Column("generator", String(40), nullable=False),
    Column("text", Text, nullable=False),
    # What produced the text: the language model (when one wrote it) and the knowledge base.
    Column("language_model_version", String(120)),
    Column("knowledge_base_version", String(40)),
    # Measured values and quality of a /classify result as JSON (never the signal or the context).
    Column("facts", Text),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("interpretation_id", String(36), ForeignKey("interpretations.id"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    *[Column(name, Integer, nullable=False) for name in RATINGS],
    Column("comment", Text),
    # Pseudonymous, chosen by the client; NULL for an anonymous rating (NULLs never collide in the
    # unique constraint, so each anonymous rating counts as its own rater).
    Column("rater_id", String(64)),
    Column("role", String(40)),
    Column("updated_at", DateTime(timezone=True)),
    UniqueConstraint("interpretation_id", "rater_id", name="uq_feedback_interpretation_rater"),
)
