"""The ledger's first tables: fixes and their outcome events.

Revision ID: 0001
Revises:
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fixes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("repository", sa.String(200), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("issue_number", sa.BigInteger(), nullable=True),
        sa.Column("branch", sa.String(255), nullable=False),
        sa.Column("review_id", sa.BigInteger(), nullable=True),
        sa.Column("head_sha", sa.String(64), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("job_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("merge_sha", sa.String(64), nullable=False),
        sa.Column("edited_before_merge", sa.Boolean(), nullable=False),
        sa.Column("reverted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suggestions_committed", sa.Boolean(), nullable=False),
        sa.Column("changes_requested", sa.Integer(), nullable=False),
    )
    op.create_index("ix_fixes_repository_number", "fixes", ["repository", "number"])
    op.create_index("ix_fixes_repository_branch", "fixes", ["repository", "branch"])
    op.create_index("ix_fixes_created_at", "fixes", ["created_at"])
    op.create_table(
        "fix_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("fix_id", sa.Integer(), sa.ForeignKey("fixes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_fix_events_fix_id", "fix_events", ["fix_id"])


def downgrade() -> None:
    op.drop_index("ix_fix_events_fix_id", table_name="fix_events")
    op.drop_table("fix_events")
    op.drop_index("ix_fixes_created_at", table_name="fixes")
    op.drop_index("ix_fixes_repository_branch", table_name="fixes")
    op.drop_index("ix_fixes_repository_number", table_name="fixes")
    op.drop_table("fixes")
