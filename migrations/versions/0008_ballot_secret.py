"""Ballot secret: every ballot's voter key comes from a secret kept in the database, not from SECRET_KEY.

Seeded with the SECRET_KEY the app runs with, which keyed every ballot cast so far, so each
voter still finds their ballot in open polls; a database without ballots gets a random one.
Rotating SECRET_KEY afterwards changes no ballot key.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:00:00.000000

"""
import secrets

from alembic import op
from flask import current_app
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    ballot_secret = op.create_table('ballot_secret',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('secret', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    ballot = sa.table('ballot', sa.column('id', sa.Integer))
    if op.get_bind().scalar(sa.select(ballot.c.id).limit(1)) is None:
        secret = secrets.token_bytes(32)
    else:
        # flask-migrate runs this inside the app, with the settings it serves with (env.py: current_app).
        key = current_app.config["SECRET_KEY"]
        secret = key.encode() if isinstance(key, str) else key  # as the old voter_key() took it
    op.bulk_insert(ballot_secret, [{'id': 1, 'secret': secret}])


def downgrade():
    op.drop_table('ballot_secret')
