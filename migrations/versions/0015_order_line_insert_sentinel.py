"""order line insert sentinel: lets an order's lines be inserted in one statement on SQLite

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 05:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('_sentinel', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_column('_sentinel')
