"""appointment types may require a reason from students booking themselves

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 01:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('appt_type') as batch:
        batch.add_column(sa.Column('reason_required', sa.Boolean(), server_default=sa.false(),
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('appt_type') as batch:
        batch.drop_column('reason_required')
