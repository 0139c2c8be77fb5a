"""baskets remember the lines nobody supplies, so a kit ends completed-partially with what is missing

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("baskets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("missing", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("baskets", schema=None) as batch_op:
        batch_op.drop_column("missing")
