"""A certificate's issuing department (发证机关), printed on its PDF

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department', sa.String(length=40), nullable=True))
        batch_op.create_foreign_key('fk_certificates_department', 'departments', ['department'], ['code'])


def downgrade() -> None:
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_constraint('fk_certificates_department', type_='foreignkey')
        batch_op.drop_column('department')
