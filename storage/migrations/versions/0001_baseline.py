"""Baseline: the two tables as the service created them before migrations existed.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

RATINGS = ("clinical_accuracy", "relevance", "clarity", "actionability")


def upgrade() -> None:
    op.create_table(
        "interpretations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("signal_type", sa.String(8)),
        sa.Column("label", sa.String(80)),
        sa.Column("confidence", sa.Float),
        sa.Column("model_version", sa.String(80)),
        sa.Column("generator", sa.String(40), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("interpretation_id", sa.String(36), sa.ForeignKey("interpretations.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *[sa.Column(name, sa.Integer, nullable=False) for name in RATINGS],
        sa.Column("comment", sa.Text),
    )
    op.create_index("ix_feedback_interpretation_id", "feedback", ["interpretation_id"])


def downgrade() -> None:
    op.drop_index("ix_feedback_interpretation_id", "feedback")
    op.drop_table("feedback")
    op.drop_table("interpretations")
