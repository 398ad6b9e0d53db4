"""Raters (one rating per rater per interpretation), what produced each text, and its facts.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("interpretations") as batch:  # batch: SQLite rebuilds the table
        batch.add_column(sa.Column("language_model_version", sa.String(120)))
        batch.add_column(sa.Column("knowledge_base_version", sa.String(40)))
        batch.add_column(sa.Column("facts", sa.Text))
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("rater_id", sa.String(64)))
        batch.add_column(sa.Column("role", sa.String(40)))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True)))
        batch.create_unique_constraint("uq_feedback_interpretation_rater", ["interpretation_id", "rater_id"])


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_constraint("uq_feedback_interpretation_rater", type_="unique")
        for name in ("updated_at", "role", "rater_id"):
            batch.drop_column(name)
    with op.batch_alter_table("interpretations") as batch:
        for name in ("facts", "knowledge_base_version", "language_model_version"):
            batch.drop_column(name)
