"""party records a clerk can complete: ID number, address, agent

Revision ID: 0006_lead_parties
Revises: 0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_lead_parties"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_parties") as batch:
        batch.add_column(sa.Column("id_number", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("address", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("agent", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_parties") as batch:
        batch.drop_column("agent")
        batch.drop_column("address")
        batch.drop_column("id_number")
