"""dealer master file

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 00:57:34.221945

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dealer_tier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('dealer_address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dealer_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('receiver', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealer.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dealer_address', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dealer_address_dealer_id'), ['dealer_id'], unique=False)

    op.create_table('dealer_authorization',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dealer_id', sa.Integer(), nullable=False),
    sa.Column('product_line', sa.String(length=32), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealer.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dealer_authorization', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dealer_authorization_dealer_id'), ['dealer_id'], unique=False)

    op.create_table('dealer_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dealer_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealer.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dealer_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dealer_contact_dealer_id'), ['dealer_id'], unique=False)

    op.create_table('dealer_qualification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dealer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=100), nullable=False),
    sa.Column('file_token', sa.String(length=32), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealer.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dealer_qualification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dealer_qualification_dealer_id'), ['dealer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dealer_qualification_valid_to'), ['valid_to'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=64), nullable=True),
    sa.Column('dealer_id', sa.Integer(), nullable=True),
    sa.Column('region_path', sa.String(length=400), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealer.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_dealer_id'), ['dealer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_role'), ['role'], unique=False)
        batch_op.create_index('ix_notification_user_read', ['user_id', 'read_at'], unique=False)

    with op.batch_alter_table('dealer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uscc', sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column('tier_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sales_rep_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('staff_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('warehouse_area', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('revenue_band', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('invoice_title', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('invoice_address', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('invoice_phone', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('bank_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('bank_account', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('credit_limit', sa.Numeric(precision=14, scale=2), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('payment_terms_days', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('custom', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_dealer_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dealer_sales_rep_id'), ['sales_rep_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dealer_tier_id'), ['tier_id'], unique=False)
        batch_op.create_unique_constraint('uq_dealer_uscc', ['uscc'])
        batch_op.create_foreign_key('fk_dealer_tier_id', 'dealer_tier', ['tier_id'], ['id'])
        batch_op.create_foreign_key('fk_dealer_parent_id', 'dealer', ['parent_id'], ['id'])
        batch_op.create_foreign_key('fk_dealer_sales_rep_id', 'ab_user', ['sales_rep_id'], ['id'])



def downgrade():
    with op.batch_alter_table('dealer', schema=None) as batch_op:
        batch_op.drop_constraint('fk_dealer_sales_rep_id', type_='foreignkey')
        batch_op.drop_constraint('fk_dealer_parent_id', type_='foreignkey')
        batch_op.drop_constraint('fk_dealer_tier_id', type_='foreignkey')
        batch_op.drop_constraint('uq_dealer_uscc', type_='unique')
        batch_op.drop_index(batch_op.f('ix_dealer_tier_id'))
        batch_op.drop_index(batch_op.f('ix_dealer_sales_rep_id'))
        batch_op.drop_index(batch_op.f('ix_dealer_parent_id'))
        batch_op.drop_column('custom')
        batch_op.drop_column('payment_terms_days')
        batch_op.drop_column('credit_limit')
        batch_op.drop_column('bank_account')
        batch_op.drop_column('bank_name')
        batch_op.drop_column('invoice_phone')
        batch_op.drop_column('invoice_address')
        batch_op.drop_column('invoice_title')
        batch_op.drop_column('revenue_band')
        batch_op.drop_column('warehouse_area')
        batch_op.drop_column('staff_count')
        batch_op.drop_column('sales_rep_id')
        batch_op.drop_column('parent_id')
        batch_op.drop_column('tier_id')
        batch_op.drop_column('uscc')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_read')
        batch_op.drop_index(batch_op.f('ix_notification_role'))
        batch_op.drop_index(batch_op.f('ix_notification_dealer_id'))

    op.drop_table('notification')
    with op.batch_alter_table('dealer_qualification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dealer_qualification_valid_to'))
        batch_op.drop_index(batch_op.f('ix_dealer_qualification_dealer_id'))

    op.drop_table('dealer_qualification')
    with op.batch_alter_table('dealer_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dealer_contact_dealer_id'))

    op.drop_table('dealer_contact')
    with op.batch_alter_table('dealer_authorization', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dealer_authorization_dealer_id'))

    op.drop_table('dealer_authorization')
    with op.batch_alter_table('dealer_address', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dealer_address_dealer_id'))

    op.drop_table('dealer_address')
    op.drop_table('dealer_tier')
