"""orders as a saga (lines, fees, carrier, attempts, replacement); the personal-data vault and its
pseudonymous references; the privacy audit log; the reference accounting agent's ledger

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("goods_amount", sa.String(length=40), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("delivery_fee", sa.String(length=40), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("lines", sa.Text(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("carrier_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("delivery_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("delivery_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("replaces", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=1000), nullable=True))
        batch_op.add_column(
            sa.Column(
                "updated_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.add_column(sa.Column("accounting_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("splits", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_orders_status"), ["status"], unique=False)

    op.create_table(
        "vault_customers",
        sa.Column("customer_ref", sa.String(length=200), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_ref"),
    )
    op.create_table(
        "vault_references",
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("customer_ref", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("party_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ref"),
    )
    with op.batch_alter_table("vault_references", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vault_references_customer_ref"), ["customer_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_vault_references_order_id"), ["order_id"], unique=False)

    op.create_table(
        "privacy_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("basket_id", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("party_id", sa.String(length=200), nullable=False),
        sa.Column("party_kind", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("sealed", sa.Boolean(), nullable=False),
        sa.Column("withheld", sa.String(length=500), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("privacy_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_audit_basket_id"), ["basket_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_privacy_audit_order_id"), ["order_id"], unique=False)

    op.create_table(
        "ledger_transactions",
        sa.Column("transaction_id", sa.String(length=40), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("agent_id", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("amount", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("transaction_id"),
        sa.UniqueConstraint("idempotency_key"),
        sa.UniqueConstraint("agent_id", "order_id", "action"),
    )
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_transactions_order_id"), ["order_id"], unique=False)
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("transaction_id", sa.String(length=40), nullable=False),
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column("debit", sa.String(length=40), nullable=False),
        sa.Column("credit", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(["transaction_id"], ["ledger_transactions.transaction_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_entries_transaction_id"), ["transaction_id"], unique=False
        )
    op.create_table(
        "payment_authorisations",
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("agent_id", sa.String(length=200), nullable=False),
        sa.Column("token", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("captured", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
    )


def downgrade() -> None:
    op.drop_table("payment_authorisations")
    op.drop_table("ledger_entries")
    op.drop_table("ledger_transactions")
    op.drop_table("privacy_audit")
    op.drop_table("vault_references")
    op.drop_table("vault_customers")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_status"))
        for column in (
            "splits", "accounting_id", "updated_at", "reason", "replaces", "delivery_attempts",
            "delivery_id", "carrier_id", "lines", "delivery_fee", "goods_amount",
        ):  # fmt: skip
            batch_op.drop_column(column)
