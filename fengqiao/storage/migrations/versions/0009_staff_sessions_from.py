"""staff accounts: sessions started before `sessions_from` are over (disable, password reset)

Revision ID: 0009_staff_sessions
Revises: 0007_lead_staff_phone
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_staff_sessions"
down_revision: str | Sequence[str] | None = "0007_lead_staff_phone"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("sessions_from", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("sessions_from")
