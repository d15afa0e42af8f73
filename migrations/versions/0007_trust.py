"""Trust between workshops: the audit log, one-time password links, deleted accounts; invites of accounts that
have a password are revoked (those people sign in with it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 10:00:00.000000

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('subject_name', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['person.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subject_id'], ['person.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_audit_event_workshop_id'), 'audit_event', ['workshop_id'], unique=False)
    op.create_table('password_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_index(op.f('ix_password_link_person_id'), 'password_link', ['person_id'], unique=False)
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
    # An invite link never signs in an account that has a password: the links such accounts hold stop working.
    # Each such revocation gets a line in the workshop's audit log, so organizers can see why a link stopped.
    now = datetime.now(timezone.utc)
    invite = sa.table('invite', sa.column('person_id', sa.Integer), sa.column('workshop_id', sa.Integer),
                      sa.column('revoked_at', sa.DateTime(timezone=True)))
    person = sa.table('person', sa.column('id', sa.Integer), sa.column('name', sa.String),
                      sa.column('password_hash', sa.String))
    audit = sa.table('audit_event', *(sa.column(name) for name in (
        'workshop_id', 'actor_name', 'action', 'subject_id', 'subject_name', 'detail', 'at')))
    live_with_password = sa.and_(invite.c.revoked_at.is_(None), person.c.password_hash.is_not(None))
    op.execute(audit.insert().from_select(
        ['workshop_id', 'actor_name', 'action', 'subject_id', 'subject_name', 'detail', 'at'],
        sa.select(invite.c.workshop_id, sa.literal('the system'), sa.literal('sign-in link revoked'),
                  person.c.id, person.c.name,
                  sa.literal('the account has a password and signs in with it (upgrade)'),
                  sa.literal(now, sa.DateTime(timezone=True)))
        .select_from(invite.join(person, person.c.id == invite.c.person_id)).where(live_with_password)
        .distinct()))
    op.execute(invite.update()
               .where(invite.c.revoked_at.is_(None),
                      invite.c.person_id.in_(sa.select(person.c.id).where(person.c.password_hash.is_not(None))))
               .values(revoked_at=now))


def downgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
    op.drop_index(op.f('ix_password_link_person_id'), table_name='password_link')
    op.drop_table('password_link')
    op.drop_index(op.f('ix_audit_event_workshop_id'), table_name='audit_event')
    op.drop_table('audit_event')
