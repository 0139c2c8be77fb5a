"""the terminal and the channels: where each basket came from and what was extracted for it; every
order state transition as a timeline row; upstream sites with their hashed API keys and rate limits

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("baskets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("origin", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("extraction", sa.Text(), nullable=True))
    op.create_table(
        "order_timeline",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("basket_id", sa.String(length=200), nullable=False),
        sa.Column("aspect", sa.String(length=20), nullable=False),
        sa.Column("from_state", sa.String(length=40), nullable=False),
        sa.Column("to_state", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_order_timeline_basket_id", "order_timeline", ["basket_id"], unique=False)
    op.create_table(
        "upstream_sites",
        sa.Column("site_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("key_prefix", sa.String(length=12), nullable=False),
        sa.Column("origins", sa.Text(), nullable=False),
        sa.Column("rate_per_s", sa.Float(), nullable=False),
        sa.Column("burst", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("site_id"),
    )
    op.create_index("ix_upstream_sites_key_hash", "upstream_sites", ["key_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_upstream_sites_key_hash", table_name="upstream_sites")
    op.drop_table("upstream_sites")
    op.drop_index("ix_order_timeline_basket_id", table_name="order_timeline")
    op.drop_table("order_timeline")
    with op.batch_alter_table("baskets", schema=None) as batch_op:
        batch_op.drop_column("extraction")
        batch_op.drop_column("origin")
        batch_op.drop_column("channel")
