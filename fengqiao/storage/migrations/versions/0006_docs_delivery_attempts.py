"""documents: delivery attempts that are never rewritten, consent wording, reminders

Every delivery attempt becomes its own row (the one-row-per-party constraint goes), with
arrival, acknowledgement, reminder and paper-service-task times; every consent is its own
row with the exact wording and its SHA-256.

Revision ID: 0006_docs
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_docs"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("uq_deliveries_document_id", type_="unique")
        batch.add_column(sa.Column("attempt", sa.Integer(), nullable=False,
                                   server_default="1"))
        batch.add_column(sa.Column("consent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("failure", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", TZ, nullable=True))
        batch.add_column(sa.Column("reminded_at", TZ, nullable=True))
        batch.add_column(sa.Column("paper_task_at", TZ, nullable=True))
    with op.batch_alter_table("service_consents") as batch:
        batch.drop_constraint("uq_service_consents_case_id", type_="unique")
        batch.add_column(sa.Column("wording", sa.Text(), nullable=True))
        batch.add_column(sa.Column("wording_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("service_consents") as batch:
        batch.drop_column("wording_sha256")
        batch.drop_column("wording")
    with op.batch_alter_table("deliveries") as batch:
        for column in ("paper_task_at", "reminded_at", "acknowledged_at", "failure",
                       "consent_id", "attempt"):
            batch.drop_column(column)
