"""case parties: the generation of their case link; older links are void (phone or WeChat
binding changed, or staff pressed 作废旧链接)

Revision ID: 0010_party_links
Revises: 0006_lead_parties
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_party_links"
down_revision: str | Sequence[str] | None = "0006_lead_parties"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_parties") as batch:
        batch.add_column(
            sa.Column("link_generation", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("case_parties") as batch:
        batch.drop_column("link_generation")
