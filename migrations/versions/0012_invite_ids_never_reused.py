"""Invite ids are never used twice: an invite link carries its invite's id, and on SQLite a table without
AUTOINCREMENT gives the highest ids of deleted rows (a deleted workshop's invites) to new rows, so an old
link would have opened someone else's new invite. PostgreSQL's sequences never reuse ids.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 00:00:00.000000

"""
from alembic import op


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("invite", recreate="always", table_kwargs={"sqlite_autoincrement": True}):
        pass


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("invite", recreate="always", table_kwargs={"sqlite_autoincrement": False}):
        pass
