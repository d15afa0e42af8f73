"""Polls, their options, ballots and ballot choices.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 20:43:23.646728

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('poll',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('single choice', 'multiple choice', 'rating', 'word cloud', 'open text', 'ranking', name='pollkind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('question', sa.String(length=300), nullable=False),
    sa.Column('state', sa.Enum('draft', 'open', 'closed', name='pollstate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('allow_change', sa.Boolean(), nullable=False),
    sa.Column('results_visible', sa.Boolean(), nullable=False),
    sa.Column('max_picks', sa.Integer(), nullable=False),
    sa.Column('scale_max', sa.Integer(), nullable=False),
    sa.Column('ranking_method', sa.Enum('mean rank', 'borda', name='rankingmethod', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('duration_seconds', sa.Integer(), nullable=True),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['agenda_session.id'], name=op.f('fk_poll_session_id_agenda_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_poll_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll'))
    )
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_poll_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('ballot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('voter_key', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=500), nullable=True),
    sa.Column('normalized', sa.String(length=100), nullable=True),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('cast_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_ballot_person_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_ballot_poll_id_poll'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot')),
    sa.UniqueConstraint('poll_id', 'voter_key', name=op.f('uq_ballot_poll_id_voter_key'))
    )
    op.create_table('poll_option',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_poll_option_poll_id_poll'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_option'))
    )
    with op.batch_alter_table('poll_option', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_option_poll_id'), ['poll_id'], unique=False)

    op.create_table('ballot_choice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_ballot_choice_ballot_id_ballot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['option_id'], ['poll_option.id'], name=op.f('fk_ballot_choice_option_id_poll_option'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_choice')),
    sa.UniqueConstraint('ballot_id', 'option_id', name=op.f('uq_ballot_choice_ballot_id_option_id'))
    )
    with op.batch_alter_table('ballot_choice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_choice_ballot_id'), ['ballot_id'], unique=False)
        batch_op.create_index('ix_ballot_choice_option', ['option_id'], unique=False)



def downgrade():
    with op.batch_alter_table('ballot_choice', schema=None) as batch_op:
        batch_op.drop_index('ix_ballot_choice_option')
        batch_op.drop_index(batch_op.f('ix_ballot_choice_ballot_id'))

    op.drop_table('ballot_choice')
    with op.batch_alter_table('poll_option', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_option_poll_id'))

    op.drop_table('poll_option')
    op.drop_table('ballot')
    with op.batch_alter_table('poll', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_workshop_id'))
        batch_op.drop_index(batch_op.f('ix_poll_session_id'))

    op.drop_table('poll')
