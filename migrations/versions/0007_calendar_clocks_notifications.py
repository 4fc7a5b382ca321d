"""the holiday table (seeded from chinese-calendar), items' time limits, the clocks of tasks and applications
(pauses, extensions, provisional deadlines, warning), special procedures, notifications and the outbox

Revision ID: 0007
Revises: 0006
"""
from datetime import datetime, timezone
from importlib.metadata import version

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

# domain.md's time limits: item -> (limit, statutory extension in working days, source)
ITEM_LIMITS = {
    "enterprise_verification": ("20wd", 10, "政府核准投资项目管理办法 第十九条"),
    "gov_approval": ("20wd", 10, "行政许可法 第四十二条"),
    "land_pre_review": ("10wd", 0, "内蒙古自治区 2019 年目标（盟市级 10 个工作日）"),
    "eia_report_book": ("60d", 0, "环境影响评价法"),
    "eia_report_form": ("30d", 0, "环境影响评价法"),
    "swc_report_book": ("10wd", 10, "水利部令第53号（技术评审不计）"),
    "construction_permit": ("7d", 0, "建筑法 第八条"),
    "energy_review_local": ("20wd", 10, "行政许可法 第四十二条"),
    "land_transfer_contract": ("20wd", 10, "行政许可法 第四十二条"),
    "land_use_planning_permit": ("20wd", 10, "行政许可法 第四十二条"),
    "engineering_planning_permit": ("20wd", 10, "行政许可法 第四十二条"),
    "design_review": ("20wd", 10, "行政许可法 第四十二条"),
    "drawing_review": ("20wd", 10, "行政许可法 第四十二条"),
    "joint_acceptance": ("20wd", 10, "行政许可法 第四十二条"),
    "planning_verification": ("20wd", 10, "行政许可法 第四十二条"),
    "first_registration": ("20wd", 10, "行政许可法 第四十二条"),
    "joint_handling": ("45wd", 15, "行政许可法 第四十五条（联合办理、集中办理）"),
}

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('day')
    )
    with op.batch_alter_table('calendar_days', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_days_year'), ['year'], unique=False)

    op.create_table('calendar_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('loaded_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('year')
    )
    op.create_table('item_time_limits',
    sa.Column('item', sa.String(length=100), nullable=False),
    sa.Column('time_limit', sa.String(length=20), nullable=False),
    sa.Column('extension_working_days', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('item')
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fanned_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_event'), ['event'], unique=False)

    op.create_table('webhook_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('events', JSON, nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', JSON, nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscriptions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subscription_id', 'outbox_id')
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_subscription_id'), ['subscription_id'], unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['fanned_out_at', 'id'], unique=False)

    op.create_table('deadline_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('task_name', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=40), nullable=True),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('beyond_statutory', sa.Boolean(), nullable=False),
    sa.Column('previous_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('new_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=False),
    sa.Column('granted_by_name', sa.String(length=64), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deadline_extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_extensions_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadline_extensions_task_id'), ['task_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_read', ['user_id', 'read_at', 'id'], unique=False)

    op.create_table('special_procedures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('cap_days', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_by', sa.String(length=64), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=64), nullable=True),
    sa.Column('paused_days', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('special_procedures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_special_procedures_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_special_procedures_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_limit', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('clock_started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paused_days', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('paused_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('due_provisional', sa.Boolean(), server_default='0', nullable=False))

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('item', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('time_limit', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('clock_started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paused_days', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('extended_days', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('paused_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paused_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('due_provisional', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('warn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('warned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('overdue_notified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_tasks_status_warn', ['status', 'warn_at'], unique=False)

    _seed()


def _seed() -> None:
    from workflows.calendar import library_schedule  # the engine room's calendar, no SpiffWorkflow in it

    moment = datetime.now(timezone.utc)
    source = f"chinesecalendar {version('chinesecalendar')}"
    years = sa.table('calendar_years', sa.column('year'), sa.column('source'), sa.column('loaded_at'),
                     sa.column('loaded_by'))
    days = sa.table('calendar_days', sa.column('day'), sa.column('year'), sa.column('working'), sa.column('name'))
    schedules = library_schedule()
    op.bulk_insert(years, [{"year": y, "source": source, "loaded_at": moment, "loaded_by": None}
                           for y in sorted(schedules)])
    rows = []
    for year, schedule in sorted(schedules.items()):
        rows += [{"day": d, "year": year, "working": False, "name": n} for d, n in sorted(schedule.holidays.items())]
        rows += [{"day": d, "year": year, "working": True, "name": None} for d in sorted(schedule.workdays)]
    op.bulk_insert(days, rows)
    limits = sa.table('item_time_limits', sa.column('item'), sa.column('time_limit'),
                      sa.column('extension_working_days'), sa.column('source'), sa.column('updated_at'),
                      sa.column('updated_by'))
    op.bulk_insert(limits, [{"item": item, "time_limit": limit, "extension_working_days": extension, "source": src,
                             "updated_at": moment, "updated_by": None}
                            for item, (limit, extension, src) in ITEM_LIMITS.items()])


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')
    op.drop_table('webhook_deliveries')
    op.drop_table('webhook_subscriptions')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_status_warn')
        batch_op.drop_column('overdue_notified_at')
        batch_op.drop_column('warned_at')
        batch_op.drop_column('warn_at')
        batch_op.drop_column('due_provisional')
        batch_op.drop_column('paused_reason')
        batch_op.drop_column('paused_since')
        batch_op.drop_column('extended_days')
        batch_op.drop_column('paused_days')
        batch_op.drop_column('clock_started_at')
        batch_op.drop_column('time_limit')
        batch_op.drop_column('item')

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('due_provisional')
        batch_op.drop_column('paused_since')
        batch_op.drop_column('paused_days')
        batch_op.drop_column('clock_started_at')
        batch_op.drop_column('time_limit')

    with op.batch_alter_table('special_procedures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_special_procedures_task_id'))
        batch_op.drop_index(batch_op.f('ix_special_procedures_application_id'))

    op.drop_table('special_procedures')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_read')

    op.drop_table('notifications')
    with op.batch_alter_table('deadline_extensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_extensions_task_id'))
        batch_op.drop_index(batch_op.f('ix_deadline_extensions_application_id'))

    op.drop_table('deadline_extensions')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_event'))

    op.drop_table('outbox')
    op.drop_table('item_time_limits')
    op.drop_table('calendar_years')
    with op.batch_alter_table('calendar_days', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_days_year'))

    op.drop_table('calendar_days')
