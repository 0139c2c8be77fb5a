"""reliability: every saga state has a deadline (when each machine entered its state, how often a payment
step was asked, why an order needs a person), rounds count from when their requests were sent and
proposals expire, outbox rows that cannot be sent are set aside

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quote_rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("proposal_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_quote_rounds_proposal_expires_at", ["proposal_expires_at"])
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("payment_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("payment_tries", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("attention", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("attention_action", sa.String(length=20), nullable=True))
        batch_op.create_index("ix_orders_delivery_state", ["delivery_state"])
        batch_op.create_index("ix_orders_settlement_state", ["settlement_state"])
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("last_error", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("set_aside_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_outbox_set_aside_at", ["set_aside_at"])


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_set_aside_at")
        batch_op.drop_column("set_aside_at")
        batch_op.drop_column("last_error")
        batch_op.drop_column("attempts")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_settlement_state")
        batch_op.drop_index("ix_orders_delivery_state")
        batch_op.drop_column("attention_action")
        batch_op.drop_column("attention")
        batch_op.drop_column("payment_tries")
        batch_op.drop_column("payment_since")
        batch_op.drop_column("delivery_since")
    with op.batch_alter_table("quote_rounds", schema=None) as batch_op:
        batch_op.drop_index("ix_quote_rounds_proposal_expires_at")
        batch_op.drop_column("proposal_expires_at")
        batch_op.drop_column("sent_at")
