"""notifications e-mailed: when the mail job handled a notification (notifications older than
this migration count as handled, so switching SMTP on never mails them)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 03:58:02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mailed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_notification_mail_due', ['mailed_at', 'created_at'], unique=False)
    op.execute("UPDATE notification SET mailed_at = created_at")


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_mail_due')
        batch_op.drop_column('mailed_at')
