"""series duration and conflict overrides

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 03:22:15.750377
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('appt_conflict_override',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_conflict_override')),
    sa.UniqueConstraint('kind', 'subject', name='uq_appt_conflict_override')
    )
    with op.batch_alter_table('appt_series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duration_minutes', sa.Integer(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('appt_series', schema=None) as batch_op:
        batch_op.drop_column('duration_minutes')

    op.drop_table('appt_conflict_override')
