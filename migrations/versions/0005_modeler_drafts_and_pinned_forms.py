"""modeler drafts and pinned forms: process_draft; process_version.forms; a version's content is
no longer unique per definition (an edit that is reverted deploys as a newer version).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 00:32:09.434719

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Names the unnamed unique constraints of 0002 get: SQLite reflection (batch mode) and PostgreSQL.
SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}
SQLITE_UQ = "uq_process_version_definition_id_content_hash"
POSTGRES_UQ = "process_version_definition_id_content_hash_key"


def upgrade():
    op.create_table('process_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('bpmn', sa.Text(), nullable=False),
    sa.Column('base_version_id', sa.Integer(), nullable=True),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table('process_version', naming_convention=SQLITE_NAMES, recreate="always") as batch_op:
            batch_op.drop_constraint(SQLITE_UQ, type_="unique")
            batch_op.add_column(sa.Column('forms', sa.JSON(), nullable=True))
    else:
        op.drop_constraint(POSTGRES_UQ, 'process_version', type_="unique")
        op.add_column('process_version', sa.Column('forms', sa.JSON(), nullable=True))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table('process_version', naming_convention=SQLITE_NAMES, recreate="always") as batch_op:
            batch_op.drop_column('forms')
            batch_op.create_unique_constraint(SQLITE_UQ, ['definition_id', 'content_hash'])
    else:
        op.drop_column('process_version', 'forms')
        op.create_unique_constraint(POSTGRES_UQ, 'process_version', ['definition_id', 'content_hash'])
    op.drop_table('process_draft')
