"""helpdesk offices (市本级, nine 旗县区, the receiving windows of Baotou, Ordos and Ulanqab), an agent's office,
authorisations (授权委托) with their processes, actor/subject on audit events, assistance requests (帮办申请) and the
applications they led to

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OFFICES = [
    ("hh-150100", "呼和浩特市政务服务中心（市本级帮办代办）", "hohhot", "150100"),
    ("hh-150102", "新城区政务服务中心帮办代办窗口", "hohhot", "150102"),
    ("hh-150103", "回民区政务服务中心帮办代办窗口", "hohhot", "150103"),
    ("hh-150104", "玉泉区政务服务中心帮办代办窗口", "hohhot", "150104"),
    ("hh-150105", "赛罕区政务服务中心帮办代办窗口", "hohhot", "150105"),
    ("hh-150121", "土默特左旗政务服务中心帮办代办窗口", "hohhot", "150121"),
    ("hh-150122", "托克托县政务服务中心帮办代办窗口", "hohhot", "150122"),
    ("hh-150123", "和林格尔县政务服务中心帮办代办窗口", "hohhot", "150123"),
    ("hh-150124", "清水河县政务服务中心帮办代办窗口", "hohhot", "150124"),
    ("hh-150125", "武川县政务服务中心帮办代办窗口", "hohhot", "150125"),
    ("bt-150200", "包头市政务服务中心“四城通办”窗口", "baotou", None),
    ("ord-150600", "鄂尔多斯市政务服务中心“四城通办”窗口", "ordos", None),
    ("wlcb-150900", "乌兰察布市政务服务中心“四城通办”窗口", "ulanqab", None),
]


def upgrade() -> None:
    offices = op.create_table('offices',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('city', sa.String(length=20), nullable=False),
    sa.Column('district', sa.String(length=6), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.bulk_insert(offices, [{"code": c, "name": n, "city": city, "district": d, "position": i}
                             for i, (c, n, city, d) in enumerate(OFFICES)])
    # SQLite rebuilds the table for the foreign key: it must keep AUTOINCREMENT (ids are never reused: tokens name them)
    with op.batch_alter_table('users', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column('office_code', sa.String(length=40), nullable=True))
        batch_op.create_foreign_key('fk_users_office', 'offices', ['office_code'], ['code'])
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_office', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('on_behalf_of', sa.String(length=18), nullable=True))
    op.create_table('authorizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('grantee_user_id', sa.Integer(), nullable=True),
    sa.Column('grantee_office', sa.String(length=40), nullable=True),
    sa.Column('all_processes', sa.Boolean(), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('letter_document_id', sa.String(length=36), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], ),
    sa.ForeignKeyConstraint(['grantee_office'], ['offices.code'], ),
    sa.ForeignKeyConstraint(['grantee_user_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['letter_document_id'], ['documents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('authorizations', schema=None) as batch_op:
        batch_op.create_index('ix_authorizations_enterprise', ['enterprise_id'], unique=False)
        batch_op.create_index('ix_authorizations_grantee', ['grantee_user_id'], unique=False)
        batch_op.create_index('ix_authorizations_office', ['grantee_office'], unique=False)
    op.create_table('authorization_processes',
    sa.Column('authorization_id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['authorization_id'], ['authorizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('authorization_id', 'process_id')
    )
    op.create_table('assistance_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_code', sa.String(length=40), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('project_name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('contact_phone', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_by_name', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by_id', sa.Integer(), nullable=True),
    sa.Column('claimed_by_name', sa.String(length=64), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('close_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], ),
    sa.ForeignKeyConstraint(['office_code'], ['offices.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('assistance_requests', schema=None) as batch_op:
        batch_op.create_index('ix_assistance_office_status', ['office_code', 'status', 'due_at'], unique=False)
    op.create_table('assisted_applications',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['assistance_requests.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', 'application_id')
    )


def downgrade() -> None:
    op.drop_table('assisted_applications')
    op.drop_table('assistance_requests')
    op.drop_table('authorization_processes')
    op.drop_table('authorizations')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('on_behalf_of')
        batch_op.drop_column('actor_office')
    with op.batch_alter_table('users', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint('fk_users_office', type_='foreignkey')
        batch_op.drop_column('office_code')
    op.drop_table('offices')
