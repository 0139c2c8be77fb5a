"""pages read before, shared by every worker: a page viewed again is not read again

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "read_pages",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_read_pages_read_at", "read_pages", ["read_at"])


def downgrade() -> None:
    op.drop_index("ix_read_pages_read_at", table_name="read_pages")
    op.drop_table("read_pages")
