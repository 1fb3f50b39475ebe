"""analytics: covering index for scoped readers of the booked lines, unseen event ids

The index on analytics_sale_line (dealer_id, day) becomes (dealer_id, day, product_id, order_id,
qty, cents): a regional manager's SKU contribution (and any dealer-scoped read of the booked
lines) is answered from the index alone. analytics_watermark.unseen keeps the event ids that were
not yet visible at the last update (PostgreSQL), so an update looks back at those only.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-27 09:48:45.231982

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('analytics_sale_line', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_sale_line_dealer_day')
        batch_op.create_index('ix_analytics_sale_line_dealer_cover', ['dealer_id', 'day', 'product_id', 'order_id', 'qty', 'cents'], unique=False)

    with op.batch_alter_table('analytics_watermark', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unseen', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('analytics_watermark', schema=None) as batch_op:
        batch_op.drop_column('unseen')

    with op.batch_alter_table('analytics_sale_line', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_sale_line_dealer_cover')
        batch_op.create_index('ix_analytics_sale_line_dealer_day', ['dealer_id', 'day'], unique=False)
