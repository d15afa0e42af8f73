"""Country per membership: the country that counts for a workshop's country reports is kept on the membership,
and counts only once confirmed.

Each existing member's profile country (person.country) is copied onto every one of their memberships, and
every copied country counts as confirmed. For imported participants and staff that is what they are: the
organizers' list named the country. Self-registered participants cannot be told apart from imported ones in a
database from before this revision, so they are confirmed too: an upgrade locks nobody out of the report they
could reach the day before (the People page shows every member's country). From this revision on, a
self-registrant's declared country waits for an organizer's confirmation.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 12:00:00.000000

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('country_confirmed_at', sa.DateTime(timezone=True), nullable=True))
    membership = sa.table('membership', sa.column('person_id', sa.Integer), sa.column('country', sa.String),
                          sa.column('country_confirmed_at', sa.DateTime(timezone=True)))
    person = sa.table('person', sa.column('id', sa.Integer), sa.column('country', sa.String))
    op.execute(membership.update().values(
        country=sa.select(person.c.country).where(person.c.id == membership.c.person_id).scalar_subquery()))
    # Stored as UTCDateTime stores it: UTC, and without an offset on SQLite (which has no timezone type).
    now = datetime.now(timezone.utc)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    op.execute(membership.update().where(membership.c.country.is_not(None)).values(country_confirmed_at=now))


def downgrade():
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('country_confirmed_at')
        batch_op.drop_column('country')
