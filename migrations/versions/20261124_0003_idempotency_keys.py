"""idempotency keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 03:57:54.636692
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('appt_idempotency_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_key', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_idempotency_key')),
    sa.UniqueConstraint('user_key', 'key', name='uq_appt_idempotency_key')
    )
    with op.batch_alter_table('appt_idempotency_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appt_idempotency_key_created_at'), ['created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('appt_idempotency_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appt_idempotency_key_created_at'))

    op.drop_table('appt_idempotency_key')
