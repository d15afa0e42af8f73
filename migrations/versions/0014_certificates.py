"""Certificates of participation: each workshop's rule, the certificates issued (with what they were issued for,
the digest their verification code is looked up by, and their PDF drawn once when issued; the code itself is
kept nowhere), and the workshop's implementing organizations.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 04:11:38.300584

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('code_digest', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('workshop_title', sa.String(length=200), nullable=False),
    sa.Column('workshop_code', sa.String(length=40), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('modality', sa.String(length=20), nullable=False),
    sa.Column('implementing_organizations', sa.Text(), nullable=False),
    sa.Column('manual', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('pdf_file_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("manual = (reason <> '')", name=op.f('ck_certificate_manual_has_reason')),
    sa.CheckConstraint('length(code_digest) = 64', name=op.f('ck_certificate_digest_is_sha256')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['person.id'], name=op.f('fk_certificate_issued_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pdf_file_id'], ['stored_file.id'], name=op.f('fk_certificate_pdf_file_id_stored_file')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_certificate_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_certificate_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('code_digest', name=op.f('uq_certificate_code_digest')),
    sa.UniqueConstraint('workshop_id', 'person_id', name=op.f('uq_certificate_workshop_id_person_id'))
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('certificate_rule',
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('plenary share', 'sessions', name='rulekind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('applied_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(kind = 'plenary share' AND threshold BETWEEN 1 AND 100) OR (kind = 'sessions' AND threshold BETWEEN 1 AND 1000)", name=op.f('ck_certificate_rule_threshold_in_range')),
    sa.ForeignKeyConstraint(['applied_by_id'], ['person.id'], name=op.f('fk_certificate_rule_applied_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_certificate_rule_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workshop_id', name=op.f('pk_certificate_rule'))
    )
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('implementing_organizations', sa.Text(), server_default='', nullable=False))



def downgrade():
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.drop_column('implementing_organizations')

    op.drop_table('certificate_rule')
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_workshop_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_person_id'))

    op.drop_table('certificate')
