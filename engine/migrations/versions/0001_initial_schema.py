"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-30 06:25:00.629163
"""
from alembic import op
import sqlalchemy as sa
import engine.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('conversations',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('platform', sa.String(length=40), nullable=False),
    sa.Column('thread', sa.String(length=200), nullable=False),
    sa.Column('ticketed', sa.Boolean(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('created_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'thread', name='uq_conversation')
    )
    op.create_table('customers',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('created_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('merged_into', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_email'), ['email'], unique=False)

    op.create_table('desk_pauses',
    sa.Column('desk', sa.String(length=60), nullable=False),
    sa.Column('paused_until', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('desk')
    )
    op.create_table('inbox_events',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('platform', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('author_id', sa.String(length=200), nullable=False),
    sa.Column('customer_id', sa.String(length=32), nullable=True),
    sa.Column('thread', sa.String(length=200), nullable=True),
    sa.Column('occurred_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('brand', sa.String(length=200), nullable=True),
    sa.Column('text_norm', sa.Text(), nullable=True),
    sa.Column('enriched', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_until', engine.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', engine.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'external_id', name='uq_inbox_source_event')
    )
    with op.batch_alter_table('inbox_events', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_brand_occurred', ['brand', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_events_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_events_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_events_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_events_platform'), ['platform'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_events_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_events_status'), ['status'], unique=False)
        batch_op.create_index('ix_inbox_platform_external', ['platform', 'external_id'], unique=False)
        batch_op.create_index('ix_inbox_platform_thread', ['platform', 'thread'], unique=False)

    op.create_table('ticket_metrics',
    sa.Column('ticket_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('action_id', sa.String(length=32), nullable=False),
    sa.Column('platform', sa.String(length=40), nullable=False),
    sa.Column('policy', sa.String(length=100), nullable=False),
    sa.Column('rule', sa.String(length=100), nullable=False),
    sa.Column('ticket_created_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reply_minutes', sa.Integer(), nullable=True),
    sa.Column('reply_business_minutes', sa.Integer(), nullable=True),
    sa.Column('checked_at', engine.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_check_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('ticket_id'),
    sa.UniqueConstraint('action_id')
    )
    with op.batch_alter_table('ticket_metrics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_metrics_next_check_at'), ['next_check_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_metrics_ticket_created_at'), ['ticket_created_at'], unique=False)

    op.create_table('vouchers',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('pool', sa.String(length=100), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('expires_at', engine.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ledger_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('ledger_id')
    )
    with op.batch_alter_table('vouchers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vouchers_pool'), ['pool'], unique=False)

    op.create_table('webhook_messages',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('body_sha256', sa.String(length=64), nullable=False),
    sa.Column('received_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'message_id', name='uq_webhook_message')
    )
    op.create_table('actions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=32), nullable=False),
    sa.Column('type', sa.String(length=60), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('policy', sa.String(length=100), nullable=False),
    sa.Column('policy_version', sa.String(length=40), nullable=False),
    sa.Column('rule', sa.String(length=100), nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.Column('decisions', sa.JSON(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('sequence_key', sa.String(length=300), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_until', engine.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_attempt_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('desk_progress', sa.JSON(none_as_null=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['inbox_events.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_actions_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_actions_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_actions_sequence_key'), ['sequence_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_actions_status'), ['status'], unique=False)

    op.create_table('customer_merges',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('survivor_id', sa.String(length=32), nullable=False),
    sa.Column('merged_id', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('moved', sa.JSON(), nullable=False),
    sa.Column('created_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merged_id'], ['customers.id'], ),
    sa.ForeignKeyConstraint(['survivor_id'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('customer_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_merges_merged_id'), ['merged_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_merges_survivor_id'), ['survivor_id'], unique=False)

    op.create_table('decisions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=32), nullable=False),
    sa.Column('policy', sa.String(length=100), nullable=False),
    sa.Column('policy_version', sa.String(length=40), nullable=False),
    sa.Column('rule', sa.String(length=100), nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.Column('created_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['inbox_events.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_decisions_policy'), ['policy'], unique=False)
        batch_op.create_index(batch_op.f('ix_decisions_rule'), ['rule'], unique=False)

    op.create_table('identities',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.String(length=32), nullable=False),
    sa.Column('platform', sa.String(length=40), nullable=False),
    sa.Column('author_id', sa.String(length=320), nullable=False),
    sa.Column('handle', sa.String(length=200), nullable=True),
    sa.Column('created_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'author_id', name='uq_identity')
    )
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identities_customer_id'), ['customer_id'], unique=False)

    op.create_table('ledger',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('voucher', sa.String(length=100), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('policy', sa.String(length=100), nullable=False),
    sa.Column('rule', sa.String(length=100), nullable=False),
    sa.Column('event_id', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('created_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('brand', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('reverses', sa.String(length=32), nullable=True),
    sa.Column('voucher_code', sa.String(length=100), nullable=True),
    sa.Column('expires_at', engine.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cost', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key'),
    sa.UniqueConstraint('reverses'),
    sa.UniqueConstraint('voucher_code')
    )
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_brand'), ['brand'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_customer_id'), ['customer_id'], unique=False)

    op.create_table('referrals',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('referrer_id', sa.String(length=32), nullable=False),
    sa.Column('claim_event_id', sa.String(length=32), nullable=False),
    sa.Column('referred_email', sa.String(length=320), nullable=True),
    sa.Column('referred_code', sa.String(length=200), nullable=True),
    sa.Column('referred_customer_id', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('ledger_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', engine.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['referrer_id'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('claim_event_id')
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_referred_code'), ['referred_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_referred_email'), ['referred_email'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_referrer_id'), ['referrer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_status'))
        batch_op.drop_index(batch_op.f('ix_referrals_referrer_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_referred_email'))
        batch_op.drop_index(batch_op.f('ix_referrals_referred_code'))

    op.drop_table('referrals')
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_customer_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_brand'))

    op.drop_table('ledger')
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identities_customer_id'))

    op.drop_table('identities')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_rule'))
        batch_op.drop_index(batch_op.f('ix_decisions_policy'))
        batch_op.drop_index(batch_op.f('ix_decisions_event_id'))

    op.drop_table('decisions')
    with op.batch_alter_table('customer_merges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_merges_survivor_id'))
        batch_op.drop_index(batch_op.f('ix_customer_merges_merged_id'))

    op.drop_table('customer_merges')
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_actions_status'))
        batch_op.drop_index(batch_op.f('ix_actions_sequence_key'))
        batch_op.drop_index(batch_op.f('ix_actions_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_actions_event_id'))

    op.drop_table('actions')
    op.drop_table('webhook_messages')
    with op.batch_alter_table('vouchers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vouchers_pool'))

    op.drop_table('vouchers')
    with op.batch_alter_table('ticket_metrics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_metrics_ticket_created_at'))
        batch_op.drop_index(batch_op.f('ix_ticket_metrics_next_check_at'))

    op.drop_table('ticket_metrics')
    with op.batch_alter_table('inbox_events', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_platform_thread')
        batch_op.drop_index('ix_inbox_platform_external')
        batch_op.drop_index(batch_op.f('ix_inbox_events_status'))
        batch_op.drop_index(batch_op.f('ix_inbox_events_received_at'))
        batch_op.drop_index(batch_op.f('ix_inbox_events_platform'))
        batch_op.drop_index(batch_op.f('ix_inbox_events_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_inbox_events_customer_id'))
        batch_op.drop_index(batch_op.f('ix_inbox_events_author_id'))
        batch_op.drop_index('ix_inbox_brand_occurred')

    op.drop_table('inbox_events')
    op.drop_table('desk_pauses')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_email'))

    op.drop_table('customers')
    op.drop_table('conversations')
