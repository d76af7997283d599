"""documents: evidence details on case_files, comments, documents, slots, events, e-delivery

Revision ID: 0003
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("case_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thumbnail_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("width", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("height", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("party_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_case_files_party_id_case_parties"), "case_parties", ["party_id"], ["id"]
        )

    op.create_table(
        "evidence_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_file_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=96), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["case_file_id"], ["case_files.id"], name=op.f("fk_evidence_comments_case_file_id_case_files"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["party_id"], ["case_parties.id"], name=op.f("fk_evidence_comments_party_id_case_parties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_comments")),
    )
    op.create_index(op.f("ix_evidence_comments_case_file_id"), "evidence_comments", ["case_file_id"])

    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("file_key", sa.String(length=255), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("original_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=96), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("issued_at", TZ, nullable=True),
        sa.Column("sealed_at", TZ, nullable=True),
        sa.Column("judicial_deadline_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_documents_case_id_cases"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("code", name=op.f("uq_documents_code")),
    )
    op.create_index(op.f("ix_documents_case_id"), "documents", ["case_id"])

    op.create_table(
        "document_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("field_name", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("signer_key", sa.String(length=96), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("signed_at", TZ, nullable=True),
        sa.Column("signed_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_document_slots_document_id_documents"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["party_id"], ["case_parties.id"], name=op.f("fk_document_slots_party_id_case_parties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_slots")),
        sa.UniqueConstraint("document_id", "field_name", name=op.f("uq_document_slots_document_id")),
    )
    op.create_index(op.f("ix_document_slots_document_id"), "document_slots", ["document_id"])

    op.create_table(
        "document_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=96), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.Column("doc_sha256", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_document_events_document_id_documents"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["party_id"], ["case_parties.id"], name=op.f("fk_document_events_party_id_case_parties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_events")),
    )
    op.create_index(op.f("ix_document_events_document_id"), "document_events", ["document_id"])

    op.create_table(
        "service_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=96), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.Column("consented_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_service_consents_case_id_cases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["party_id"], ["case_parties.id"], name=op.f("fk_service_consents_party_id_case_parties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_consents")),
        sa.UniqueConstraint("case_id", "party_id", name=op.f("uq_service_consents_case_id")),
    )
    op.create_index(op.f("ix_service_consents_case_id"), "service_consents", ["case_id"])

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=96), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.Column("doc_sha256", sa.String(length=64), nullable=False),
        sa.Column("sent_at", TZ, nullable=True),
        sa.Column("delivered_at", TZ, nullable=True),
        sa.Column("read_at", TZ, nullable=True),
        sa.Column("downloaded_at", TZ, nullable=True),
        sa.Column("paper_requested_at", TZ, nullable=True),
        sa.Column("paper_address", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_deliveries_document_id_documents"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["party_id"], ["case_parties.id"], name=op.f("fk_deliveries_party_id_case_parties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("document_id", "party_id", name=op.f("uq_deliveries_document_id")),
    )
    op.create_index(op.f("ix_deliveries_document_id"), "deliveries", ["document_id"])
    op.create_index(op.f("ix_deliveries_message_id"), "deliveries", ["message_id"])


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("service_consents")
    op.drop_table("document_events")
    op.drop_table("document_slots")
    op.drop_table("documents")
    op.drop_table("evidence_comments")
    with op.batch_alter_table("case_files", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_case_files_party_id_case_parties"), type_="foreignkey")
        batch_op.drop_column("channel")
        batch_op.drop_column("party_id")
        batch_op.drop_column("height")
        batch_op.drop_column("width")
        batch_op.drop_column("thumbnail_key")
