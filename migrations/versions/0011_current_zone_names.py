"""Current zone names: every saved timezone name is rewritten to its current IANA name (Asia/Katmandu to
Asia/Kathmandu, Asia/Calcutta to Asia/Kolkata, Europe/Kiev to Europe/Kyiv, ...), as the app now saves them.

Two columns hold a zone: a person's display zone and a workshop's host zone. The map is the app's own
(workshop/zone_names.py), so the rows read afterwards are what a new save writes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from workshop.zone_names import current_name


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ZONE_COLUMNS = (("person", "timezone"), ("workshop", "timezone"))


def upgrade():
    connection = op.get_bind()
    for table_name, column_name in ZONE_COLUMNS:
        table = sa.table(table_name, sa.column(column_name, sa.String))
        column = table.c[column_name]
        for (saved,) in connection.execute(sa.select(column).distinct()).all():
            if saved is not None and current_name(saved) != saved:
                connection.execute(table.update().where(column == saved).values({column_name: current_name(saved)}))


def downgrade():
    # The old spellings are not kept, and none is needed: the current names load on every version of the app.
    pass
