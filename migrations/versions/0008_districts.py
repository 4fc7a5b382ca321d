"""districts as codes: the table of 市本级 and the nine 旗县区, and each application's district; handling times kept
for the reports (working days to claim, claimed, in all; an application's lead time and whether it kept its limits)

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

DISTRICTS = [("150100", "市本级"), ("150102", "新城区"), ("150103", "回民区"), ("150104", "玉泉区"), ("150105", "赛罕区"),
             ("150121", "土默特左旗"), ("150122", "托克托县"), ("150123", "和林格尔县"), ("150124", "清水河县"),
             ("150125", "武川县")]
# names written before districts were codes: development zones under the city, or the county they lie in
OLD_NAMES = {**{name: code for code, name in DISTRICTS}, "呼和浩特经济技术开发区": "150100", "和林格尔新区": "150123",
             "呼和浩特市": "150100"}


def upgrade() -> None:
    districts = op.create_table('districts',
    sa.Column('code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.bulk_insert(districts, [{"code": c, "name": n, "position": i} for i, (c, n) in enumerate(DISTRICTS)])
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district', sa.String(length=6), nullable=True))
        batch_op.create_index('ix_applications_district_created', ['district', 'created_at'], unique=False)
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_time_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('on_time', sa.Boolean(), nullable=True))
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('days_to_claim', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('days_claimed', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('days_total', sa.Integer(), nullable=True))
        batch_op.create_index('ix_tasks_department_completed', ['department', 'completed_at'], unique=False)
    # applications filed with a district name get its code (the project keeps what was entered)
    bind = op.get_bind()
    apps = sa.table('applications', sa.column('id'), sa.column('project', sa.JSON), sa.column('district'))
    for row in bind.execute(sa.select(apps.c.id, apps.c.project)).all():
        entered = str((row.project or {}).get("district") or "").strip()
        code = entered if entered in {c for c, _ in DISTRICTS} else OLD_NAMES.get(entered)
        if code:
            bind.execute(apps.update().where(apps.c.id == row.id).values(district=code))


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_department_completed')
        batch_op.drop_column('days_total')
        batch_op.drop_column('days_claimed')
        batch_op.drop_column('days_to_claim')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('on_time')
        batch_op.drop_column('lead_time_days')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_district_created')
        batch_op.drop_column('district')
    op.drop_table('districts')
