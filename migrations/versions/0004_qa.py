"""Live Q&A: per-session settings, questions, upvotes, bans and blocked words.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('qa_settings',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('anonymous_allowed', sa.Boolean(), nullable=False),
    sa.Column('premoderation', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['agenda_session.id'], name=op.f('fk_qa_settings_session_id_agenda_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_qa_settings'))
    )
    op.create_table('question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'answered', 'dismissed', 'withdrawn', name='questionstatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('votes', sa.Integer(), nullable=False),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('reply', sa.String(length=300), nullable=True),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_question_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['agenda_session.id'], name=op.f('fk_question_session_id_agenda_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_question_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question'))
    )
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index('ix_question_person_asked', ['person_id', 'asked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('question_vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('cast_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_question_vote_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_question_vote_question_id_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_vote')),
    sa.UniqueConstraint('question_id', 'person_id', name=op.f('uq_question_vote_question_id_person_id'))
    )
    with op.batch_alter_table('question_vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_vote_person_id'), ['person_id'], unique=False)

    op.create_table('qa_ban',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=True),
    sa.Column('banned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_qa_ban_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_qa_ban_question_id_question'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_qa_ban_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_ban')),
    sa.UniqueConstraint('workshop_id', 'person_id', name=op.f('uq_qa_ban_workshop_id_person_id'))
    )
    op.create_table('blocked_word',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('word', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_blocked_word_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blocked_word')),
    sa.UniqueConstraint('workshop_id', 'word', name=op.f('uq_blocked_word_workshop_id_word'))
    )


def downgrade():
    op.drop_table('blocked_word')
    op.drop_table('qa_ban')
    with op.batch_alter_table('question_vote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_vote_person_id'))

    op.drop_table('question_vote')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_workshop_id'))
        batch_op.drop_index(batch_op.f('ix_question_session_id'))
        batch_op.drop_index('ix_question_person_asked')

    op.drop_table('question')
    op.drop_table('qa_settings')
