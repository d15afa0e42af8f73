"""Live revisions: one table gives every live target (the polls of a session, its questions, its breakouts,
a workshop's report dashboard) a revision that only grows, in place of the revision columns of polls,
questions and breakout rounds.

A target's first revision is taken from the clock (see workshop/live/revisions.py), so pages left open
across the upgrade, which still show the old columns' small numbers, accept the new ones.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OLD_REVISIONS = (("poll", 0), ("question", 1), ("breakout_round", 0))


def upgrade():
    op.create_table('live_revision',
    sa.Column('target', sa.String(length=80), nullable=False),
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('target', name=op.f('pk_live_revision'))
    )
    for table, _ in OLD_REVISIONS:
        # A plain DROP COLUMN (SQLite has it since 3.35), not a batch: on SQLite a batch copies the table and
        # drops the old one, and with foreign keys on, that deletes every row that points at it.
        op.drop_column(table, 'revision')


def downgrade():
    for table, default in OLD_REVISIONS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default=str(default)))
    op.drop_table('live_revision')
