"""sis tables

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 02:54:00.547559

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sis_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('office', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('sis_student',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('student_number', sa.String(length=20), nullable=False),
    sa.Column('program', sa.String(length=100), nullable=False),
    sa.Column('cohort', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['sis_user.id'], ),
    sa.PrimaryKeyConstraint('user_id'),
    sa.UniqueConstraint('student_number')
    )
    op.create_table('sis_timetable_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('course', sa.String(length=100), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start', sa.Time(), nullable=False),
    sa.Column('end', sa.Time(), nullable=False),
    sa.ForeignKeyConstraint(['student_id'], ['sis_student.user_id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sis_timetable_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sis_timetable_entry_student_id'), ['student_id'], unique=False)



def downgrade():
    with op.batch_alter_table('sis_timetable_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sis_timetable_entry_student_id'))

    op.drop_table('sis_timetable_entry')
    op.drop_table('sis_student')
    op.drop_table('sis_user')
