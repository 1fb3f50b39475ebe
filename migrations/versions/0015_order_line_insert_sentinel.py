"""insert sentinels on order lines, checks and events: several rows in one statement on SQLite

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


TABLES = ('order_line', 'order_check', 'order_event')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('_sentinel', sa.Integer(), nullable=True))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('_sentinel')
