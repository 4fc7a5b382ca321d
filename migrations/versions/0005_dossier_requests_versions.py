"""the dossier on every inbox row, supplement requests, document kinds, active versions, certificate conditions

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('enterprise_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('enterprise_credit_code', sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column('request_hash', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_applications_process', ['process_id'], unique=False)
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('enterprise_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('enterprise_credit_code', sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column('received_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resubmitted', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('data', JSON, nullable=True))
        batch_op.add_column(sa.Column('completed_by_name', sa.String(length=64), nullable=True))
    bind = op.get_bind()
    apps = sa.table('applications', sa.column('id'), sa.column('project'), sa.column('project_name'),
                    sa.column('enterprise_id'), sa.column('enterprise_name'), sa.column('enterprise_credit_code'),
                    sa.column('created_at'))
    for row in bind.execute(sa.select(apps.c.id, apps.c.project)).all():
        project = row.project if isinstance(row.project, dict) else {}
        bind.execute(apps.update().where(apps.c.id == row.id).values(project_name=str(project.get('name') or '')[:200] or None))
    op.execute("UPDATE applications SET enterprise_name = (SELECT name FROM enterprises WHERE enterprises.id = applications.enterprise_id), "
               "enterprise_credit_code = (SELECT credit_code FROM enterprises WHERE enterprises.id = applications.enterprise_id)")
    op.execute("UPDATE tasks SET project_name = (SELECT project_name FROM applications WHERE applications.id = tasks.application_id), "
               "enterprise_name = (SELECT enterprise_name FROM applications WHERE applications.id = tasks.application_id), "
               "enterprise_credit_code = (SELECT enterprise_credit_code FROM applications WHERE applications.id = tasks.application_id), "
               "received_at = (SELECT created_at FROM applications WHERE applications.id = tasks.application_id)")
    op.execute("UPDATE tasks SET completed_by_name = (SELECT username FROM users WHERE users.id = tasks.completed_by_id) "
               "WHERE completed_by_id IS NOT NULL")

    op.create_table('supplement_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=40), nullable=True),
    sa.Column('returned_task_id', sa.String(length=36), nullable=False),
    sa.Column('answer_task_id', sa.String(length=36), nullable=False),
    sa.Column('items', JSON, nullable=False),
    sa.Column('opinion', sa.Text(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer', JSON, nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department'], ['departments.code'], ),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('answer_task_id')
    )
    with op.batch_alter_table('supplement_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplement_requests_application_id'), ['application_id'], unique=False)

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=100), nullable=True))
    with op.batch_alter_table('minor_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivered', JSON, nullable=True))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conditions', sa.Text(), nullable=True))
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE process_definitions SET active = true WHERE id IN "
               "(SELECT max(id) FROM process_definitions GROUP BY process_id)")


def downgrade() -> None:
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.drop_column('active')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('conditions')
    with op.batch_alter_table('minor_items', schema=None) as batch_op:
        batch_op.drop_column('delivered')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_column('kind')
    with op.batch_alter_table('supplement_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplement_requests_application_id'))
    op.drop_table('supplement_requests')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        for column in ('completed_by_name', 'data', 'resubmitted', 'received_at', 'enterprise_credit_code',
                       'enterprise_name', 'project_name'):
            batch_op.drop_column(column)
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_process')
        for column in ('request_hash', 'enterprise_credit_code', 'enterprise_name', 'project_name'):
            batch_op.drop_column(column)
