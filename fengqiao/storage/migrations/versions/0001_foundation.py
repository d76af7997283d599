"""foundation: people, cases, parties, files, audit log

Revision ID: 0001
Revises:
Create Date: 2026-11-22 04:33:00.257338
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("id_number", sa.String(length=32), nullable=True),
        sa.Column("privacy_consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("channel", "openid", name=op.f("uq_people_channel")),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("type_code", sa.String(length=32), nullable=False),
        sa.Column("type_name", sa.String(length=32), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("risk", sa.String(length=8), nullable=False),
        sa.Column("risk_reasons", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=True),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("organisation", sa.String(length=128), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("intake_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["applicant_id"], ["people.id"], name=op.f("fk_cases_applicant_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("code", name=op.f("uq_cases_code")),
        sa.UniqueConstraint("intake_key", name=op.f("uq_cases_intake_key")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_applicant_id"), ["applicant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_risk"), ["risk"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_type_code"), ["type_code"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=96), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_audit_log_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_key", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("mime", sa.String(length=96), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=True),
        sa.Column("submitted_by", sa.String(length=96), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_files_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_files")),
        sa.UniqueConstraint("file_key", name=op.f("uq_case_files_file_key")),
        sa.UniqueConstraint("source_ref", name=op.f("uq_case_files_source_ref")),
    )
    with op.batch_alter_table("case_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_files_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_parties_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_case_parties_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_parties")),
    )
    with op.batch_alter_table("case_parties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_parties_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_parties_person_id"), ["person_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("case_parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_parties_person_id"))
        batch_op.drop_index(batch_op.f("ix_case_parties_case_id"))

    op.drop_table("case_parties")
    with op.batch_alter_table("case_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_files_case_id"))

    op.drop_table("case_files")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_case_id"))

    op.drop_table("audit_log")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_type_code"))
        batch_op.drop_index(batch_op.f("ix_cases_status"))
        batch_op.drop_index(batch_op.f("ix_cases_risk"))
        batch_op.drop_index(batch_op.f("ix_cases_created_at"))
        batch_op.drop_index(batch_op.f("ix_cases_applicant_id"))

    op.drop_table("cases")
    op.drop_table("people")
