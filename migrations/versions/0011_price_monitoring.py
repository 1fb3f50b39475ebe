"""price monitoring: price exceptions (order price reviews and special-price requests) and their lines

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('price_exception',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('business_key', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('dealer_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('ship_to_region', sa.String(length=32), nullable=True),
    sa.Column('requested_by', sa.String(length=100), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('reason_code', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason_code', sa.String(length=20), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=True),
    sa.Column('escalated', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealer.id'], ),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ),
    sa.ForeignKeyConstraint(['requested_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('business_key')
    )
    with op.batch_alter_table('price_exception', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_exception_dealer_id'), ['dealer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_exception_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_exception_status'), ['status'], unique=False)

    op.create_table('price_exception_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exception_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('policy_price', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('deviation_pct', sa.Numeric(precision=9, scale=2), nullable=True),
    sa.Column('deviation_amount', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['exception_id'], ['price_exception.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('price_exception_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_exception_line_exception_id'), ['exception_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_exception_line_product_id'), ['product_id'], unique=False)


def downgrade():
    with op.batch_alter_table('price_exception_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_exception_line_product_id'))
        batch_op.drop_index(batch_op.f('ix_price_exception_line_exception_id'))
    op.drop_table('price_exception_line')
    with op.batch_alter_table('price_exception', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_exception_status'))
        batch_op.drop_index(batch_op.f('ix_price_exception_instance_id'))
        batch_op.drop_index(batch_op.f('ix_price_exception_dealer_id'))
    op.drop_table('price_exception')
