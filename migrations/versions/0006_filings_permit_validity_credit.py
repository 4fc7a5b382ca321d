"""filings, committed items, construction-permit validity and extensions, rectified credit records

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('committed_items', JSON, server_default=sa.text("'[]'"), nullable=False))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_by', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('started_on', sa.Date(), nullable=True))
    with op.batch_alter_table('credit_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rectified_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('permit_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('previous_start_by', sa.Date(), nullable=False),
    sa.Column('new_start_by', sa.Date(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=False),
    sa.Column('granted_by_name', sa.String(length=64), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('permit_extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_permit_extensions_certificate_id'), ['certificate_id'], unique=False)
    op.create_table('filings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=100), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source_task_id', sa.String(length=36), nullable=False),
    sa.Column('commitment_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['commitment_id'], ['commitments.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('filings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_filings_application_id'), ['application_id'], unique=False)
    # a construction permit issued before validity was kept: three months from its issue (建筑法 art. 9)
    bind = op.get_bind()
    certs = sa.table('certificates', sa.column('id'), sa.column('code'), sa.column('issued_at'), sa.column('start_by'))
    from datetime import timedelta, timezone
    import calendar
    for row in bind.execute(sa.select(certs.c.id, certs.c.issued_at).where(certs.c.code == 'construction_permit')).all():
        issued = row.issued_at
        if issued is None:
            continue
        if isinstance(issued, str):
            from datetime import datetime
            issued = datetime.fromisoformat(issued)
        local = (issued if issued.tzinfo else issued.replace(tzinfo=timezone.utc)).astimezone(timezone(timedelta(hours=8))).date()
        index = local.month - 1 + 3
        year, month = local.year + index // 12, index % 12 + 1
        start_by = local.replace(year=year, month=month, day=min(local.day, calendar.monthrange(year, month)[1]))
        bind.execute(certs.update().where(certs.c.id == row.id).values(start_by=start_by))


def downgrade() -> None:
    with op.batch_alter_table('filings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_filings_application_id'))
    op.drop_table('filings')
    with op.batch_alter_table('permit_extensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_permit_extensions_certificate_id'))
    op.drop_table('permit_extensions')
    with op.batch_alter_table('credit_records', schema=None) as batch_op:
        batch_op.drop_column('rectified_at')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('started_on')
        batch_op.drop_column('start_by')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('committed_items')
