"""booking: organisations, mediators, hours, absences, bookings, slots, parties

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-22 05:00:00

No double booking is enforced by the database itself: on PostgreSQL an exclusion constraint on
(mediator_id, tstzrange(starts_at, ends_at)) for the bookings that hold time; on SQLite two
triggers that abort an insert or update that would overlap. The service also locks the
mediator row, so the constraint is a backstop, not the usual path.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0004"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HOLDING = "('pending', 'confirmed')"

SQLITE_OVERLAP = f"""
SELECT RAISE(ABORT, 'booking_overlap') WHERE EXISTS (
    SELECT 1 FROM bookings b
    WHERE b.mediator_id = NEW.mediator_id AND b.id != NEW.id
      AND b.status IN {HOLDING}
      AND b.starts_at < NEW.ends_at AND NEW.starts_at < b.ends_at
);
"""


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=255), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("code", name=op.f("uq_organisations_code")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_table(
        "mediators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("title", sa.String(length=32), nullable=True),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("subsidy_fen", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Double(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ics_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_mediators_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediators")),
        sa.UniqueConstraint("code", name=op.f("uq_mediators_code")),
        sa.UniqueConstraint("username", name=op.f("uq_mediators_username")),
        sa.UniqueConstraint("ics_token", name=op.f("uq_mediators_ics_token")),
    )
    with op.batch_alter_table("mediators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mediators_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mediators_region"), ["region"], unique=False)
        batch_op.create_index(batch_op.f("ix_mediators_status"), ["status"], unique=False)

    op.create_table(
        "mediator_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mediator_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mediator_id"], ["mediators.id"],
            name=op.f("fk_mediator_hours_mediator_id_mediators"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediator_hours")),
    )
    with op.batch_alter_table("mediator_hours", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mediator_hours_mediator_id"), ["mediator_id"], unique=False)

    op.create_table(
        "mediator_absences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mediator_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["mediator_id"], ["mediators.id"],
            name=op.f("fk_mediator_absences_mediator_id_mediators"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediator_absences")),
    )
    with op.batch_alter_table("mediator_absences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mediator_absences_mediator_id"), ["mediator_id"], unique=False)

    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("mediator_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("place", sa.String(length=255), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("mediator_accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=96), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("starts_at IS NULL OR starts_at < ends_at", name=op.f("ck_bookings_time_order")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_bookings_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["mediator_id"], ["mediators.id"], name=op.f("fk_bookings_mediator_id_mediators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bookings_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bookings_mediator_id"), ["mediator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bookings_status"), ["status"], unique=False)

    op.create_table(
        "booking_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"],
            name=op.f("fk_booking_slots_booking_id_bookings"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_slots")),
    )
    with op.batch_alter_table("booking_slots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_slots_booking_id"), ["booking_id"], unique=False)

    op.create_table(
        "booking_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("case_party_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_version", sa.Integer(), nullable=True),
        sa.Column("reschedule_reason", sa.String(length=255), nullable=True),
        sa.Column("no_show", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"],
            name=op.f("fk_booking_parties_booking_id_bookings"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_party_id"], ["case_parties.id"],
            name=op.f("fk_booking_parties_case_party_id_case_parties"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_parties")),
        sa.UniqueConstraint("booking_id", "case_party_id", name=op.f("uq_booking_parties_booking_id")),
    )
    with op.batch_alter_table("booking_parties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_parties_booking_id"), ["booking_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        # btree_gist gives "=" on integers inside a GiST index; it is a trusted extension.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE bookings ADD CONSTRAINT ex_bookings_mediator_time EXCLUDE USING gist "
            "(mediator_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            f"WHERE (status IN {HOLDING})"
        )
    else:
        op.execute(
            "CREATE TRIGGER bookings_no_overlap_insert BEFORE INSERT ON bookings "
            f"WHEN NEW.status IN {HOLDING} BEGIN {SQLITE_OVERLAP} END"
        )
        op.execute(
            "CREATE TRIGGER bookings_no_overlap_update BEFORE UPDATE ON bookings "
            f"WHEN NEW.status IN {HOLDING} BEGIN {SQLITE_OVERLAP} END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE bookings DROP CONSTRAINT IF EXISTS ex_bookings_mediator_time")
    else:
        op.execute("DROP TRIGGER IF EXISTS bookings_no_overlap_update")
        op.execute("DROP TRIGGER IF EXISTS bookings_no_overlap_insert")
    for table in ("booking_parties", "booking_slots", "bookings", "mediator_absences",
                  "mediator_hours", "mediators", "organisations"):
        op.drop_table(table)
