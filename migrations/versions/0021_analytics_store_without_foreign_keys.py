"""analytics: the store's tables declare no foreign keys

analytics_sale_line (order, SKU, dealer, warehouse), analytics_product_month (SKU),
analytics_order_day and analytics_dealer_month (dealer) lose their foreign keys: the store is
derived data written only by the booking code from rows it has just read, and on PostgreSQL the
key checks were half of booking a 50-line order (docs/analytics.md, Speed). SQLite reports the
keys without names, so they are named by a convention for the table copy that drops them.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-27 13:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
KEYS = {
    "analytics_sale_line": (
        ("dealer_id", "dealer", None),
        ("order_id", "sales_order", "CASCADE"),
        ("product_id", "product", None),
        ("warehouse_id", "warehouse", None),
    ),
    "analytics_product_month": (("product_id", "product", None),),
    "analytics_order_day": (("dealer_id", "dealer", None),),
    "analytics_dealer_month": (("dealer_id", "dealer", None),),
}


def _conventional(table, column, referred):
    return NAMING["fk"] % {"table_name": table, "column_0_name": column, "referred_table_name": referred}


def upgrade():
    inspector = sa.inspect(op.get_bind())
    for table in KEYS:
        keys = inspector.get_foreign_keys(table)
        with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
            for key in keys:
                name = key["name"] or _conventional(
                    table, key["constrained_columns"][0], key["referred_table"]
                )
                batch_op.drop_constraint(name, type_="foreignkey")


def downgrade():
    for table, keys in KEYS.items():
        with op.batch_alter_table(table) as batch_op:
            for column, referred, ondelete in keys:
                batch_op.create_foreign_key(
                    _conventional(table, column, referred), referred, [column], ["id"], ondelete=ondelete
                )
