"""sis_user.session_generation: logging out ends the user's sessions on the server

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 05:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sis_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade():
    with op.batch_alter_table('sis_user', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
