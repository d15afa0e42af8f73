"""Attendance: intervals recorded from presence or added by hand, the recording workers' heartbeats, and the
totals kept when a workshop's intervals are deleted.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attendance_worker',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_worker'))
    )
    with op.batch_alter_table('attendance_worker', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_worker_seen_at'), ['seen_at'], unique=False)

    op.create_table('attendance_purge',
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('purged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('purged_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['purged_by_id'], ['person.id'], name=op.f('fk_attendance_purge_purged_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_attendance_purge_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workshop_id', name=op.f('pk_attendance_purge'))
    )
    op.create_table('attendance_interval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('source', sa.Enum('live', 'manual', name='attendancesource', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('worker_id', sa.String(length=32), nullable=True),
    sa.Column('connection_id', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(source = 'live' AND worker_id IS NOT NULL AND connection_id IS NOT NULL) OR (source = 'manual' AND worker_id IS NULL AND ended_at IS NOT NULL AND reason <> '')", name=op.f('ck_attendance_interval_source_fields')),
    sa.CheckConstraint('ended_at IS NULL OR ended_at >= started_at', name=op.f('ck_attendance_interval_ends_after_start')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_attendance_interval_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['person.id'], name=op.f('fk_attendance_interval_recorded_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['agenda_session.id'], name=op.f('fk_attendance_interval_session_id_agenda_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_attendance_interval_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_interval')),
    sa.UniqueConstraint('worker_id', 'connection_id', name=op.f('uq_attendance_interval_worker_id_connection_id'))
    )
    with op.batch_alter_table('attendance_interval', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_interval_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_attendance_interval_session_person', ['session_id', 'person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_interval_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('attendance_total',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.Column('first_join', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_leave', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('seconds >= 0', name=op.f('ck_attendance_total_seconds_not_negative')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_attendance_total_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['agenda_session.id'], name=op.f('fk_attendance_total_session_id_agenda_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_attendance_total_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_total')),
    sa.UniqueConstraint('session_id', 'person_id', name=op.f('uq_attendance_total_session_id_person_id'))
    )
    with op.batch_alter_table('attendance_total', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_total_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_total_workshop_id'), ['workshop_id'], unique=False)



def downgrade():
    with op.batch_alter_table('attendance_total', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_total_workshop_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_total_person_id'))

    op.drop_table('attendance_total')
    with op.batch_alter_table('attendance_interval', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_interval_workshop_id'))
        batch_op.drop_index('ix_attendance_interval_session_person')
        batch_op.drop_index(batch_op.f('ix_attendance_interval_person_id'))

    op.drop_table('attendance_interval')
    op.drop_table('attendance_purge')
    with op.batch_alter_table('attendance_worker', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_worker_seen_at'))

    op.drop_table('attendance_worker')
