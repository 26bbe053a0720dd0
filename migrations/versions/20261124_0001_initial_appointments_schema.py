"""initial appointments schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 02:51:45.967585
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('appt_api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.String(length=100), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_appt_api_token_token_hash'))
    )
    with op.batch_alter_table('appt_api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appt_api_token_user_key'), ['user_key'], unique=False)

    op.create_table('appt_audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_key', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=True),
    sa.Column('before', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('after', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_audit_log'))
    )
    with op.batch_alter_table('appt_audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_appt_audit_entity', ['entity_type', 'entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appt_audit_log_actor_key'), ['actor_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_appt_audit_log_at'), ['at'], unique=False)

    op.create_table('appt_notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('recipient_key', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'sent', 'dead')", name=op.f('ck_appt_notification_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_notification')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_appt_notification_dedupe_key'))
    )
    with op.batch_alter_table('appt_notification', schema=None) as batch_op:
        batch_op.create_index('ix_appt_notification_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_appt_notification_recipient_key'), ['recipient_key'], unique=False)

    op.create_table('appt_notification_preference',
    sa.Column('user_key', sa.String(length=64), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('options', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('user_key', 'event', 'channel', name=op.f('pk_appt_notification_preference'))
    )
    op.create_table('appt_role_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_key', sa.String(length=64), nullable=False),
    sa.Column('grant', sa.String(length=64), nullable=False),
    sa.Column('target_key', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_role_grant')),
    sa.UniqueConstraint('user_key', 'grant', 'target_key', name='uq_appt_role_grant')
    )
    with op.batch_alter_table('appt_role_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appt_role_grant_user_key'), ['user_key'], unique=False)

    op.create_table('appt_setting',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_appt_setting'))
    )
    op.create_table('appt_type',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('buffer_before_minutes', sa.Integer(), nullable=False),
    sa.Column('buffer_after_minutes', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('online_url', sa.String(length=500), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('min_notice_minutes', sa.Integer(), nullable=False),
    sa.Column('max_advance_days', sa.Integer(), nullable=True),
    sa.Column('cancel_cutoff_minutes', sa.Integer(), nullable=False),
    sa.Column('max_active_per_student', sa.Integer(), nullable=True),
    sa.Column('max_per_student_per_day', sa.Integer(), nullable=True),
    sa.Column('max_per_student_per_week', sa.Integer(), nullable=True),
    sa.Column('eligibility', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('waitlist_enabled', sa.Boolean(), nullable=False),
    sa.Column('waitlist_size', sa.Integer(), nullable=True),
    sa.Column('offer_minutes', sa.Integer(), nullable=True),
    sa.Column('colour', sa.String(length=7), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('buffer_before_minutes >= 0 AND buffer_after_minutes >= 0', name=op.f('ck_appt_type_buffers')),
    sa.CheckConstraint('capacity >= 1', name=op.f('ck_appt_type_positive_capacity')),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_appt_type_positive_duration')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_type'))
    )
    op.create_table('appt_inapp_notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_key', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['notification_id'], ['appt_notification.id'], name=op.f('fk_appt_inapp_notification_notification_id_appt_notification')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_inapp_notification'))
    )
    with op.batch_alter_table('appt_inapp_notification', schema=None) as batch_op:
        batch_op.create_index('ix_appt_inapp_user_read', ['user_key', 'read_at'], unique=False)

    op.create_table('appt_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('host_key', sa.String(length=64), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('start_local', sa.DateTime(), nullable=False),
    sa.Column('rrule', sa.Text(), nullable=False),
    sa.Column('exdates', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('materialised_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['type_id'], ['appt_type.id'], name=op.f('fk_appt_series_type_id_appt_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_series'))
    )
    with op.batch_alter_table('appt_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appt_series_host_key'), ['host_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_appt_series_type_id'), ['type_id'], unique=False)

    op.create_table('appt_type_host',
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('host_key', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['type_id'], ['appt_type.id'], name=op.f('fk_appt_type_host_type_id_appt_type'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('type_id', 'host_key', name=op.f('pk_appt_type_host'))
    )
    op.create_table('appt_slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('occurrence_local', sa.DateTime(), nullable=True),
    sa.Column('host_key', sa.String(length=64), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('start_utc', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_utc', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('booked', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='open', nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("status IN ('open', 'cancelled')", name=op.f('ck_appt_slot_status')),
    sa.CheckConstraint('booked <= capacity', name=op.f('ck_appt_slot_booked_within_capacity')),
    sa.CheckConstraint('booked >= 0', name=op.f('ck_appt_slot_booked_not_negative')),
    sa.CheckConstraint('capacity >= 1', name=op.f('ck_appt_slot_positive_capacity')),
    sa.CheckConstraint('end_utc > start_utc', name=op.f('ck_appt_slot_ends_after_start')),
    sa.ForeignKeyConstraint(['series_id'], ['appt_series.id'], name=op.f('fk_appt_slot_series_id_appt_series'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['type_id'], ['appt_type.id'], name=op.f('fk_appt_slot_type_id_appt_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_slot')),
    sa.UniqueConstraint('series_id', 'occurrence_local', name='uq_appt_slot_series_occurrence')
    )
    with op.batch_alter_table('appt_slot', schema=None) as batch_op:
        batch_op.create_index('ix_appt_slot_host_start', ['host_key', 'start_utc'], unique=False)
        batch_op.create_index('ix_appt_slot_location_start', ['location', 'start_utc'], unique=False)
        batch_op.create_index(batch_op.f('ix_appt_slot_start_utc'), ['start_utc'], unique=False)
        batch_op.create_index('ix_appt_slot_type_start', ['type_id', 'start_utc'], unique=False)

    op.create_table('appt_booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('student_key', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('booked_by', sa.String(length=64), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.String(length=64), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('attendance_marked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attendance_marked_by', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("status IN ('confirmed', 'cancelled', 'late_cancelled', 'attended', 'no_show', 'excused')", name=op.f('ck_appt_booking_status')),
    sa.ForeignKeyConstraint(['slot_id'], ['appt_slot.id'], name=op.f('fk_appt_booking_slot_id_appt_slot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_booking'))
    )
    with op.batch_alter_table('appt_booking', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appt_booking_slot_id'), ['slot_id'], unique=False)
        batch_op.create_index('ix_appt_booking_student_status', ['student_key', 'status'], unique=False)
        batch_op.create_index('uq_appt_booking_active_student_slot', ['slot_id', 'student_key'], unique=True, sqlite_where=sa.text("status IN ('confirmed', 'attended', 'no_show', 'excused')"), postgresql_where=sa.text("status IN ('confirmed', 'attended', 'no_show', 'excused')"))

    op.create_table('appt_waitlist_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('student_key', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('offer_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("status IN ('waiting', 'offered', 'promoted', 'left', 'expired', 'removed')", name=op.f('ck_appt_waitlist_entry_status')),
    sa.ForeignKeyConstraint(['booking_id'], ['appt_booking.id'], name=op.f('fk_appt_waitlist_entry_booking_id_appt_booking')),
    sa.ForeignKeyConstraint(['slot_id'], ['appt_slot.id'], name=op.f('fk_appt_waitlist_entry_slot_id_appt_slot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_waitlist_entry'))
    )
    with op.batch_alter_table('appt_waitlist_entry', schema=None) as batch_op:
        batch_op.create_index('ix_appt_waitlist_queue', ['slot_id', 'status', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_appt_waitlist_student', ['student_key', 'status'], unique=False)
        batch_op.create_index('uq_appt_waitlist_open_student_slot', ['slot_id', 'student_key'], unique=True, sqlite_where=sa.text("status IN ('waiting', 'offered')"), postgresql_where=sa.text("status IN ('waiting', 'offered')"))



def downgrade() -> None:
    with op.batch_alter_table('appt_waitlist_entry', schema=None) as batch_op:
        batch_op.drop_index('uq_appt_waitlist_open_student_slot', sqlite_where=sa.text("status IN ('waiting', 'offered')"), postgresql_where=sa.text("status IN ('waiting', 'offered')"))
        batch_op.drop_index('ix_appt_waitlist_student')
        batch_op.drop_index('ix_appt_waitlist_queue')

    op.drop_table('appt_waitlist_entry')
    with op.batch_alter_table('appt_booking', schema=None) as batch_op:
        batch_op.drop_index('uq_appt_booking_active_student_slot', sqlite_where=sa.text("status IN ('confirmed', 'attended', 'no_show', 'excused')"), postgresql_where=sa.text("status IN ('confirmed', 'attended', 'no_show', 'excused')"))
        batch_op.drop_index('ix_appt_booking_student_status')
        batch_op.drop_index(batch_op.f('ix_appt_booking_slot_id'))

    op.drop_table('appt_booking')
    with op.batch_alter_table('appt_slot', schema=None) as batch_op:
        batch_op.drop_index('ix_appt_slot_type_start')
        batch_op.drop_index(batch_op.f('ix_appt_slot_start_utc'))
        batch_op.drop_index('ix_appt_slot_location_start')
        batch_op.drop_index('ix_appt_slot_host_start')

    op.drop_table('appt_slot')
    op.drop_table('appt_type_host')
    with op.batch_alter_table('appt_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appt_series_type_id'))
        batch_op.drop_index(batch_op.f('ix_appt_series_host_key'))

    op.drop_table('appt_series')
    with op.batch_alter_table('appt_inapp_notification', schema=None) as batch_op:
        batch_op.drop_index('ix_appt_inapp_user_read')

    op.drop_table('appt_inapp_notification')
    op.drop_table('appt_type')
    op.drop_table('appt_setting')
    with op.batch_alter_table('appt_role_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appt_role_grant_user_key'))

    op.drop_table('appt_role_grant')
    op.drop_table('appt_notification_preference')
    with op.batch_alter_table('appt_notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appt_notification_recipient_key'))
        batch_op.drop_index('ix_appt_notification_due')

    op.drop_table('appt_notification')
    with op.batch_alter_table('appt_audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appt_audit_log_at'))
        batch_op.drop_index(batch_op.f('ix_appt_audit_log_actor_key'))
        batch_op.drop_index('ix_appt_audit_entity')

    op.drop_table('appt_audit_log')
    with op.batch_alter_table('appt_api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appt_api_token_user_key'))

    op.drop_table('appt_api_token')
