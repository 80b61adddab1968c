"""The monthly summary: which installation published each fix, and the summaries posted.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fixes") as batch:
        batch.add_column(sa.Column("installation_id", sa.BigInteger(), nullable=True))
    op.create_table(
        "monthly_summaries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("repository", sa.String(200), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("issue_number", sa.BigInteger(), nullable=False),
        sa.Column("comment_id", sa.BigInteger(), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ux_monthly_summaries_repository_month", "monthly_summaries",
                    ["repository", "month"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_monthly_summaries_repository_month", table_name="monthly_summaries")
    op.drop_table("monthly_summaries")
    with op.batch_alter_table("fixes") as batch:
        batch.drop_column("installation_id")
