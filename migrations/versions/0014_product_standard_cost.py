"""product standard cost: per unit, for margins in the price policy simulation

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 04:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('standard_cost', sa.Numeric(precision=14, scale=4), nullable=True))


def downgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('standard_cost')
