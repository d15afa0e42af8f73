"""Breakout rounds, their rooms and notes, assignments, choices, rules, help requests and messages.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('breakout_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'open', 'closed', name='roundstate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('mode', sa.Enum('balanced random', 'diverse', 'rotation', 'self-select', 'csv import', name='assignmentmode', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('room_count', sa.Integer(), nullable=True),
    sa.Column('room_size', sa.Integer(), nullable=True),
    sa.Column('duration_seconds', sa.Integer(), nullable=True),
    sa.Column('spread_leads', sa.Boolean(), nullable=False),
    sa.Column('max_one_roles', sa.String(length=100), nullable=False),
    sa.Column('notes_by_members', sa.Boolean(), nullable=False),
    sa.Column('choosing_open', sa.Boolean(), nullable=False),
    sa.Column('preview_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['agenda_session.id'], name=op.f('fk_breakout_round_session_id_agenda_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_breakout_round_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breakout_round')),
    sa.UniqueConstraint('session_id', 'number', name=op.f('uq_breakout_round_session_id_number'))
    )
    with op.batch_alter_table('breakout_round', schema=None) as batch_op:
        batch_op.create_index('ix_breakout_round_one_open', ['session_id'], unique=True, sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))
        batch_op.create_index(batch_op.f('ix_breakout_round_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_breakout_round_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('breakout_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('keep apart', 'keep together', 'facilitators', name='groupkind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['breakout_round.id'], name=op.f('fk_breakout_group_round_id_breakout_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breakout_group'))
    )
    with op.batch_alter_table('breakout_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_breakout_group_round_id'), ['round_id'], unique=False)

    op.create_table('breakout_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_breakout_message_person_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['breakout_round.id'], name=op.f('fk_breakout_message_round_id_breakout_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breakout_message'))
    )
    with op.batch_alter_table('breakout_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_breakout_message_round_id'), ['round_id'], unique=False)

    op.create_table('breakout_room',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('video_url', sa.String(length=500), nullable=True),
    sa.Column('rapporteur_id', sa.Integer(), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('chosen', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('notes_revision', sa.Integer(), nullable=False),
    sa.Column('notes_saved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notes_saved_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['notes_saved_by_id'], ['person.id'], name=op.f('fk_breakout_room_notes_saved_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rapporteur_id'], ['person.id'], name=op.f('fk_breakout_room_rapporteur_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['breakout_round.id'], name=op.f('fk_breakout_room_round_id_breakout_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breakout_room')),
    sa.UniqueConstraint('round_id', 'position', name=op.f('uq_breakout_room_round_id_position'))
    )
    with op.batch_alter_table('breakout_room', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_breakout_room_round_id'), ['round_id'], unique=False)

    op.create_table('breakout_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('generated', 'moved', 'late joiner', 'imported', 'chosen', name='assignmentsource', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_breakout_assignment_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_id'], ['breakout_room.id'], name=op.f('fk_breakout_assignment_room_id_breakout_room'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['breakout_round.id'], name=op.f('fk_breakout_assignment_round_id_breakout_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breakout_assignment')),
    sa.UniqueConstraint('round_id', 'person_id', name=op.f('uq_breakout_assignment_round_id_person_id'))
    )
    with op.batch_alter_table('breakout_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_breakout_assignment_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_breakout_assignment_room_id'), ['room_id'], unique=False)

    op.create_table('breakout_choice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('chosen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_breakout_choice_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_id'], ['breakout_room.id'], name=op.f('fk_breakout_choice_room_id_breakout_room'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['breakout_round.id'], name=op.f('fk_breakout_choice_round_id_breakout_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breakout_choice')),
    sa.UniqueConstraint('round_id', 'person_id', name=op.f('uq_breakout_choice_round_id_person_id'))
    )
    with op.batch_alter_table('breakout_choice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_breakout_choice_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_breakout_choice_room_id'), ['room_id'], unique=False)

    op.create_table('breakout_group_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['breakout_group.id'], name=op.f('fk_breakout_group_member_group_id_breakout_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_breakout_group_member_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breakout_group_member')),
    sa.UniqueConstraint('group_id', 'person_id', name=op.f('uq_breakout_group_member_group_id_person_id'))
    )
    with op.batch_alter_table('breakout_group_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_breakout_group_member_person_id'), ['person_id'], unique=False)

    op.create_table('breakout_help_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_breakout_help_request_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_id'], ['breakout_room.id'], name=op.f('fk_breakout_help_request_room_id_breakout_room'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['breakout_round.id'], name=op.f('fk_breakout_help_request_round_id_breakout_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breakout_help_request'))
    )
    with op.batch_alter_table('breakout_help_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_breakout_help_request_round_id'), ['round_id'], unique=False)



def downgrade():
    with op.batch_alter_table('breakout_help_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_breakout_help_request_round_id'))

    op.drop_table('breakout_help_request')
    with op.batch_alter_table('breakout_group_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_breakout_group_member_person_id'))

    op.drop_table('breakout_group_member')
    with op.batch_alter_table('breakout_choice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_breakout_choice_room_id'))
        batch_op.drop_index(batch_op.f('ix_breakout_choice_person_id'))

    op.drop_table('breakout_choice')
    with op.batch_alter_table('breakout_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_breakout_assignment_room_id'))
        batch_op.drop_index(batch_op.f('ix_breakout_assignment_person_id'))

    op.drop_table('breakout_assignment')
    with op.batch_alter_table('breakout_room', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_breakout_room_round_id'))

    op.drop_table('breakout_room')
    with op.batch_alter_table('breakout_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_breakout_message_round_id'))

    op.drop_table('breakout_message')
    with op.batch_alter_table('breakout_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_breakout_group_round_id'))

    op.drop_table('breakout_group')
    with op.batch_alter_table('breakout_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_breakout_round_workshop_id'))
        batch_op.drop_index(batch_op.f('ix_breakout_round_session_id'))
        batch_op.drop_index('ix_breakout_round_one_open', sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))

    op.drop_table('breakout_round')
