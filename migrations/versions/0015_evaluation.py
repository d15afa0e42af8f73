"""The workshop's evaluation: questions, responses (anonymous ones carry no person), answers and respondents.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 04:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

STATES = ('draft', 'open', 'closed')
KINDS = ('rating', 'text')
SECTIONS = ('objectives', 'sessions', 'speakers', 'overall', 'comments')


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade():
    op.create_table('evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('state', _enum(STATES, 'evaluationstate'), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('open_at_end', sa.Boolean(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_evaluation_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation')),
    sa.UniqueConstraint('workshop_id', name=op.f('uq_evaluation_workshop_id'))
    )
    op.create_table('evaluation_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('section', _enum(SECTIONS, 'section'), nullable=False),
    sa.Column('kind', _enum(KINDS, 'questionkind'), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_evaluation_question_evaluation_id_evaluation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['agenda_session.id'], name=op.f('fk_evaluation_question_session_id_agenda_session'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_question'))
    )
    with op.batch_alter_table('evaluation_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_question_evaluation_id'), ['evaluation_id'], unique=False)
    op.create_table('evaluation_response',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_evaluation_response_evaluation_id_evaluation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_evaluation_response_person_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_response')),
    sa.UniqueConstraint('evaluation_id', 'person_id', name=op.f('uq_evaluation_response_evaluation_id_person_id')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('evaluation_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_response_evaluation_id'), ['evaluation_id'], unique=False)
    op.create_table('evaluation_answer',
    sa.Column('response_id', sa.String(length=24), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.CheckConstraint('rating IS NULL OR (rating >= 1 AND rating <= 5)', name=op.f('ck_evaluation_answer_rating')),
    sa.CheckConstraint('(rating IS NULL) <> (text IS NULL)', name=op.f('ck_evaluation_answer_one_value')),
    sa.ForeignKeyConstraint(['question_id'], ['evaluation_question.id'], name=op.f('fk_evaluation_answer_question_id_evaluation_question'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['evaluation_response.id'], name=op.f('fk_evaluation_answer_response_id_evaluation_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'question_id', name=op.f('pk_evaluation_answer')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('evaluation_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_answer_question_id'), ['question_id'], unique=False)
    op.create_table('evaluation_inbox',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_evaluation_inbox_evaluation_id_evaluation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_inbox')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('evaluation_inbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_inbox_evaluation_id'), ['evaluation_id'], unique=False)
    op.create_table('evaluation_respondent',
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_evaluation_respondent_evaluation_id_evaluation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_evaluation_respondent_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('evaluation_id', 'person_id', name=op.f('pk_evaluation_respondent')),
    sqlite_with_rowid=False
    )


def downgrade():
    op.drop_table('evaluation_respondent')
    op.drop_table('evaluation_inbox')
    op.drop_table('evaluation_answer')
    op.drop_table('evaluation_response')
    op.drop_table('evaluation_question')
    op.drop_table('evaluation')
