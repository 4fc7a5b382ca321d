"""inbox rows carry their process and assignee name

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('process_id', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('assignee_name', sa.String(length=64), nullable=True))
    op.execute("UPDATE tasks SET process_id = (SELECT applications.process_id FROM applications "
               "WHERE applications.id = tasks.application_id)")
    op.execute("UPDATE tasks SET assignee_name = (SELECT users.username FROM users WHERE users.id = tasks.assignee_id) "
               "WHERE assignee_id IS NOT NULL")
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.alter_column('process_id', existing_type=sa.String(length=200), nullable=False)
        batch_op.drop_index('ix_tasks_department_status')
        batch_op.create_index('ix_tasks_department_status', ['department', 'status', 'due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_department_status')
        batch_op.create_index('ix_tasks_department_status', ['department', 'status'], unique=False)
        batch_op.drop_column('assignee_name')
        batch_op.drop_column('process_id')
