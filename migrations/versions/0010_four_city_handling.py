"""四城通办: an application's receiving office, handling office and the hand-off between them

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receiving_office', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('handling_office', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('forward_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('forwarded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('forwarded_by', sa.String(length=64), nullable=True))
        batch_op.create_foreign_key('fk_applications_receiving_office', 'offices', ['receiving_office'], ['code'])
        batch_op.create_foreign_key('fk_applications_handling_office', 'offices', ['handling_office'], ['code'])
        batch_op.create_index('ix_applications_receiving_status', ['receiving_office', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_receiving_status')
        batch_op.drop_constraint('fk_applications_handling_office', type_='foreignkey')
        batch_op.drop_constraint('fk_applications_receiving_office', type_='foreignkey')
        for column in ('forwarded_by', 'forwarded_at', 'forward_due_at', 'handling_office', 'receiving_office'):
            batch_op.drop_column(column)
