"""notification delivery: feed tokens, job leases, one in-app row per notification, skipped

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 16:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('appt_feed_token',
    sa.Column('user_key', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('user_key', name=op.f('pk_appt_feed_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_appt_feed_token_token_hash'))
    )
    op.create_table('appt_job',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=True),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_result', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_appt_job'))
    )
    with op.batch_alter_table('appt_inapp_notification', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_appt_inapp_notification_notification_id'), ['notification_id'])
    with op.batch_alter_table('appt_notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_appt_notification_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_appt_notification_status'), "status IN ('pending', 'sent', 'skipped', 'dead')")


def downgrade() -> None:
    op.execute("UPDATE appt_notification SET status = 'sent' WHERE status = 'skipped'")
    with op.batch_alter_table('appt_notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_appt_notification_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_appt_notification_status'), "status IN ('pending', 'sent', 'dead')")
    with op.batch_alter_table('appt_inapp_notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_appt_inapp_notification_notification_id'), type_='unique')
    op.drop_table('appt_job')
    op.drop_table('appt_feed_token')
