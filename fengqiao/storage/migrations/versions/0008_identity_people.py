"""one resident, every channel: a person's official-account and mini-program openids, unionid
and verified phone; the mini-program subscriptions they granted; the fallback of a notice

Revision ID: 0008_identity
Revises: 0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_identity"
down_revision: str | Sequence[str] | None = "0002"  # people (0001), notification_outbox (0002)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey(
                "people.id", ondelete="CASCADE", name="fk_person_channels_person_id_people"
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_person_channels"),
        sa.UniqueConstraint("kind", "address", name="uq_person_channels_kind"),
    )
    op.create_index("ix_person_channels_person_id", "person_channels", ["person_id"])
    # Every resident known so far keeps the channel they came through.
    op.execute(
        "INSERT INTO person_channels (person_id, kind, address, created_at) "
        "SELECT id, channel, openid, created_at FROM people "
        "WHERE openid IS NOT NULL AND channel IN ('mp', 'wxa')"
    )
    op.create_table(
        "subscription_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("template_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_subscription_grants"),
    )
    op.create_index(
        "ix_subscription_grants_openid_template",
        "subscription_grants",
        ["openid", "template_id", "used_at"],
    )
    with op.batch_alter_table("notification_outbox") as batch:
        batch.add_column(sa.Column("fallback", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification_outbox") as batch:
        batch.drop_column("fallback")
    op.drop_index("ix_subscription_grants_openid_template", table_name="subscription_grants")
    op.drop_table("subscription_grants")
    op.drop_index("ix_person_channels_person_id", table_name="person_channels")
    op.drop_table("person_channels")
