"""Country report slots, their versions and the audit log.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STATES = ('missing', 'submitted', 'late', 'changes requested', 'accepted', 'rejected', 'published')


def upgrade():
    op.create_table('report_slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('allowed_kinds', sa.String(length=100), nullable=False),
    sa.Column('max_mb', sa.Integer(), nullable=False),
    sa.Column('participants_may_upload', sa.Boolean(), nullable=False),
    sa.Column('state', sa.Enum(*STATES, name='reportstate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_report_slot_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_slot')),
    sa.UniqueConstraint('workshop_id', 'country', name=op.f('uq_report_slot_workshop_id_country'))
    )
    with op.batch_alter_table('report_slot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_slot_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('report_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('stored_file_id', sa.Integer(), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['removed_by_id'], ['person.id'], name=op.f('fk_report_version_removed_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['slot_id'], ['report_slot.id'], name=op.f('fk_report_version_slot_id_report_slot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stored_file_id'], ['stored_file.id'], name=op.f('fk_report_version_stored_file_id_stored_file'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_version')),
    sa.UniqueConstraint('slot_id', 'number', name=op.f('uq_report_version_slot_id_number'))
    )
    with op.batch_alter_table('report_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_version_slot_id'), ['slot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_version_stored_file_id'), ['stored_file_id'], unique=False)

    op.create_table('report_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['person.id'], name=op.f('fk_report_event_actor_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['slot_id'], ['report_slot.id'], name=op.f('fk_report_event_slot_id_report_slot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_report_event_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_event'))
    )
    with op.batch_alter_table('report_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_event_slot_id'), ['slot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_event_workshop_id'), ['workshop_id'], unique=False)


def downgrade():
    with op.batch_alter_table('report_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_event_workshop_id'))
        batch_op.drop_index(batch_op.f('ix_report_event_slot_id'))
    op.drop_table('report_event')
    with op.batch_alter_table('report_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_version_stored_file_id'))
        batch_op.drop_index(batch_op.f('ix_report_version_slot_id'))
    op.drop_table('report_version')
    with op.batch_alter_table('report_slot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_slot_workshop_id'))
    op.drop_table('report_slot')
