"""provider registry; quote rounds opened by the router and decided once; offers kept, late ones too

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "providers",
        sa.Column("provider_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("regions", sa.Text(), nullable=False),
        sa.Column("address", sa.String(length=2000), nullable=False),
        sa.Column("manager_id", sa.String(length=200), nullable=True),
        sa.Column("delivery_methods", sa.Text(), nullable=False),
        sa.Column("payment_methods", sa.Text(), nullable=False),
        sa.Column("public_key", sa.String(length=200), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("answer_ms_total", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("provider_id"),
    )
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_providers_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_providers_manager_id"), ["manager_id"], unique=False)

    with op.batch_alter_table("baskets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preferences", sa.Text(), nullable=True))

    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("answer_ms", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_offers_basket_id"), ["basket_id"], unique=False)
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.alter_column("late", server_default=None)

    # rounds now hold every need of the basket (opened by the router) and the decision made
    op.drop_table("quote_rounds")
    op.create_table(
        "quote_rounds",
        sa.Column("request_id", sa.String(length=200), nullable=False),
        sa.Column("basket_id", sa.String(length=200), nullable=False),
        sa.Column("needs", sa.Text(), nullable=False),
        sa.Column("addressed", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=20), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("request_id"),
    )
    with op.batch_alter_table("quote_rounds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_rounds_basket_id"), ["basket_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quote_rounds_deadline"), ["deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_quote_rounds_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("quote_rounds")
    op.create_table(
        "quote_rounds",
        sa.Column("request_id", sa.String(length=200), nullable=False),
        sa.Column("basket_id", sa.String(length=200), nullable=False),
        sa.Column("request_json", sa.Text(), nullable=False),
        sa.Column("addressed", sa.Text(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("request_id"),
    )
    with op.batch_alter_table("quote_rounds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_rounds_basket_id"), ["basket_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quote_rounds_deadline"), ["deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_quote_rounds_status"), ["status"], unique=False)
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offers_basket_id"))
        batch_op.drop_column("answer_ms")
        batch_op.drop_column("late")
    with op.batch_alter_table("baskets", schema=None) as batch_op:
        batch_op.drop_column("preferences")
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_providers_manager_id"))
        batch_op.drop_index(batch_op.f("ix_providers_kind"))
    op.drop_table("providers")
