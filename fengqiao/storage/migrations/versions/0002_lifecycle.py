"""lifecycle: case state, 吹哨报到 tasks, supervision documents, outbox, revisits, staff, stats

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:43:07.788735
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_stats",
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.Column("rated", sa.Integer(), nullable=False),
        sa.Column("cycle_hours_sum", sa.Double(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dimension", "key", name=op.f("pk_case_stats")),
    )
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("organisation", sa.String(length=128), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_users_username")),
    )
    op.create_table(
        "case_revisits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=96), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_revisits_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_revisits")),
    )
    with op.batch_alter_table("case_revisits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_revisits_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_revisits_openid"), ["openid"], unique=False)

    op.create_table(
        "case_state",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("referral", sa.String(length=32), nullable=True),
        sa.Column("referral_body", sa.String(length=128), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("escalation", sa.Integer(), nullable=False),
        sa.Column("supervised", sa.Boolean(), nullable=False),
        sa.Column("satisfaction", sa.String(length=16), nullable=True),
        sa.Column("cycle_hours", sa.Double(), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_state_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["cases.id"], name=op.f("fk_case_state_merged_into_id_cases")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_state")),
    )
    with op.batch_alter_table("case_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_state_month"), ["month"], unique=False)

    op.create_table(
        "case_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("instruction", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("reported_by", sa.String(length=96), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalation", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_tasks_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_tasks")),
        sa.UniqueConstraint("case_id", "department", name=op.f("uq_case_tasks_case_id")),
    )
    with op.batch_alter_table("case_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_tasks_case_id"), ["case_id"], unique=False)

    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("msgid", sa.String(length=64), nullable=True),
        sa.Column("delivery", sa.String(length=48), nullable=True),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.Column("dedupe_key", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_notification_outbox_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notification_outbox_dedupe_key")),
    )
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_outbox_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notification_outbox_msgid"), ["msgid"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_notification_outbox_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notification_outbox_status"), ["status"], unique=False)

    op.create_table(
        "case_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("issued_by", sa.String(length=96), nullable=False),
        sa.Column("dedupe_key", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_documents_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["case_tasks.id"],
            name=op.f("fk_case_documents_task_id_case_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_documents")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_case_documents_dedupe_key")),
    )
    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_documents_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_documents_created_at"), ["created_at"], unique=False
        )

    # Console filters and the overdue scan over a million cases.
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_organisation_id", ["organisation", "id"], unique=False)
        batch_op.create_index("ix_cases_status_deadline", ["status", "deadline_at"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # LIKE 'prefix%' on names needs a pattern index unless the collation is C.
        op.execute("CREATE INDEX ix_case_parties_name ON case_parties (name varchar_pattern_ops)")
        month = "to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
    else:
        op.create_index("ix_case_parties_name", "case_parties", ["name"], unique=False)
        month = "strftime('%Y-%m', created_at, '+8 hours')"
    # Cases filed before this revision get their lifecycle row.
    op.execute(
        "INSERT INTO case_state (case_id, escalation, supervised, month) "
        f"SELECT id, 0, false, {month} FROM cases"
    )


def downgrade() -> None:
    op.drop_index("ix_case_parties_name", table_name="case_parties")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_status_deadline")
        batch_op.drop_index("ix_cases_organisation_id")
    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_documents_created_at"))
        batch_op.drop_index(batch_op.f("ix_case_documents_case_id"))

    op.drop_table("case_documents")
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_outbox_status"))
        batch_op.drop_index(batch_op.f("ix_notification_outbox_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_notification_outbox_msgid"))
        batch_op.drop_index(batch_op.f("ix_notification_outbox_case_id"))

    op.drop_table("notification_outbox")
    with op.batch_alter_table("case_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_tasks_case_id"))

    op.drop_table("case_tasks")
    with op.batch_alter_table("case_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_state_month"))

    op.drop_table("case_state")
    with op.batch_alter_table("case_revisits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_revisits_openid"))
        batch_op.drop_index(batch_op.f("ix_case_revisits_case_id"))

    op.drop_table("case_revisits")
    op.drop_table("staff_users")
    op.drop_table("case_stats")
