"""Identity resolution (issue #4): observations, merges, pairs, shared values, block keys,
and outbox consumer cursors.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FIELD = "p.field_sources -> f.field"
BACKFILL = f"""
INSERT INTO profile_observation
    (id, workspace_id, profile_id, field, value, source, source_record_id, observed_at, manual)
SELECT gen_random_uuid(), p.workspace_id, p.id, f.field, f.value,
       coalesce({_FIELD} ->> 'source', 'unknown'),
       (SELECT s.id FROM source_record s
         WHERE s.id::text = {_FIELD} ->> 'source_record_id'),
       coalesce(({_FIELD} ->> 'at')::timestamptz, p.created_at),
       coalesce({_FIELD} ->> 'source', '') = 'ui'
FROM profile p
CROSS JOIN LATERAL (
    VALUES
        ('full_name', CASE WHEN p.full_name <> '' THEN to_jsonb(p.full_name) END),
        ('gender', CASE WHEN p.gender <> 'unknown' THEN to_jsonb(p.gender) END),
        ('birth_date', to_jsonb(p.birth_date::text)),
        ('occupation', CASE WHEN p.occupation <> '' THEN to_jsonb(p.occupation) END),
        ('education', CASE WHEN p.education <> '' THEN to_jsonb(p.education) END),
        ('income_band', CASE WHEN p.income_band <> '' THEN to_jsonb(p.income_band) END),
        ('marital_status', CASE WHEN p.marital_status <> '' THEN to_jsonb(p.marital_status) END),
        ('household_size', to_jsonb(p.household_size)),
        ('interests', CASE WHEN cardinality(p.interests) > 0 THEN to_jsonb(p.interests) END),
        ('favourite_products',
         CASE WHEN cardinality(p.favourite_products) > 0 THEN to_jsonb(p.favourite_products) END),
        ('favourite_brands',
         CASE WHEN cardinality(p.favourite_brands) > 0 THEN to_jsonb(p.favourite_brands) END)
    UNION ALL
    SELECT 'attributes.' || a.key, a.value
    FROM jsonb_each(p.attributes) AS a
    WHERE a.value NOT IN ('null'::jsonb, '""'::jsonb)
) AS f(field, value)
WHERE f.value IS NOT NULL
"""


def upgrade() -> None:
    op.create_table(
        "outbox_cursor",
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "gaps",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("consumer", name=op.f("pk_outbox_cursor")),
    )
    op.create_table(
        "identity_settings",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("auto_merge_threshold", sa.Double(), server_default="0.99", nullable=False),
        sa.Column("review_threshold", sa.Double(), server_default="0.8", nullable=False),
        sa.Column("auto_merge", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("model", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("model_trained_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("model_records", sa.Integer(), nullable=True),
        sa.Column(
            "field_rules",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("source_trust", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "review_threshold > 0 AND review_threshold <= auto_merge_threshold AND auto_merge_threshold <= 1",
            name=op.f("ck_identity_settings_thresholds"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_identity_settings_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_identity_settings")),
    )
    op.create_table(
        "identity_shared_value",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="shared", nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("profiles", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "detected_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("decided_by_display", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('shared','blocked')", name=op.f("ck_identity_shared_value_status")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_identity_shared_value_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_shared_value")),
        sa.UniqueConstraint(
            "workspace_id",
            "kind",
            "value",
            name=op.f("uq_identity_shared_value_workspace_id_kind_value"),
        ),
    )
    op.create_table(
        "identity_block_key",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.Text(collation="C"), nullable=False),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profile.id"],
            name=op.f("fk_identity_block_key_profile_id_profile"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_identity_block_key_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "key", "profile_id", name=op.f("pk_identity_block_key")
        ),
    )
    op.create_index(
        op.f("ix_identity_block_key_profile_id"), "identity_block_key", ["profile_id"], unique=False
    )
    op.create_table(
        "identity_merge",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("survivor_id", sa.Uuid(), nullable=False),
        sa.Column("merged_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=True),
        sa.Column("probability", sa.Double(), nullable=True),
        sa.Column("match_weight", sa.Double(), nullable=True),
        sa.Column(
            "explanation",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "evidence",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_display", sa.Text(), server_default="", nullable=False),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("moved", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("survivor_version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by_id", sa.Uuid(), nullable=True),
        sa.Column("undone_by_display", sa.Text(), nullable=True),
        sa.Column("undo_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "method IN ('rule','model','manual','event')", name=op.f("ck_identity_merge_method")
        ),
        sa.CheckConstraint("status IN ('active','undone')", name=op.f("ck_identity_merge_status")),
        sa.ForeignKeyConstraint(
            ["merged_id"],
            ["profile.id"],
            name=op.f("fk_identity_merge_merged_id_profile"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["survivor_id"],
            ["profile.id"],
            name=op.f("fk_identity_merge_survivor_id_profile"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_identity_merge_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_merge")),
    )
    op.create_index(
        op.f("ix_identity_merge_merged_id"), "identity_merge", ["merged_id"], unique=False
    )
    op.create_index(
        op.f("ix_identity_merge_survivor_id"), "identity_merge", ["survivor_id"], unique=False
    )
    op.create_index(
        op.f("ix_identity_merge_workspace_id_created_at"),
        "identity_merge",
        ["workspace_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "identity_pair",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("profile_a", sa.Uuid(), nullable=False),
        sa.Column("profile_b", sa.Uuid(), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("probability", sa.Double(), nullable=False),
        sa.Column("match_weight", sa.Double(), nullable=True),
        sa.Column("rule", sa.Text(), nullable=True),
        sa.Column(
            "explanation",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_by_display", sa.Text(), nullable=True),
        sa.Column("merge_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending','merged','rejected','obsolete')",
            name=op.f("ck_identity_pair_status"),
        ),
        sa.CheckConstraint("profile_a < profile_b", name=op.f("ck_identity_pair_ordered")),
        sa.ForeignKeyConstraint(
            ["merge_id"],
            ["identity_merge.id"],
            name=op.f("fk_identity_pair_merge_id_identity_merge"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["profile_a"],
            ["profile.id"],
            name=op.f("fk_identity_pair_profile_a_profile"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_b"],
            ["profile.id"],
            name=op.f("fk_identity_pair_profile_b_profile"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_identity_pair_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_pair")),
        sa.UniqueConstraint(
            "workspace_id",
            "profile_a",
            "profile_b",
            name=op.f("uq_identity_pair_workspace_id_profile_a_profile_b"),
        ),
    )
    op.create_index(
        "ix_identity_pair_pending",
        "identity_pair",
        ["workspace_id", "probability"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        op.f("ix_identity_pair_profile_b"), "identity_pair", ["profile_b"], unique=False
    )
    op.create_table(
        "profile_observation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_record_id", sa.Uuid(), nullable=True),
        sa.Column(
            "observed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("manual", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profile.id"],
            name=op.f("fk_profile_observation_profile_id_profile"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_profile_observation_source_record_id_source_record"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_profile_observation_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_observation")),
    )
    op.create_index(
        op.f("ix_profile_observation_profile_id_field"),
        "profile_observation",
        ["profile_id", "field"],
        unique=False,
    )
    # Data: every current value of every profile becomes an observation of the source that
    # field_sources remembers (else "unknown" at the profile's creation), so survivorship
    # never loses a value written before observations existed.
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_index(op.f("ix_profile_observation_profile_id_field"), table_name="profile_observation")
    op.drop_table("profile_observation")
    op.drop_index(op.f("ix_identity_pair_profile_b"), table_name="identity_pair")
    op.drop_index(
        "ix_identity_pair_pending",
        table_name="identity_pair",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("identity_pair")
    op.drop_index(op.f("ix_identity_merge_workspace_id_created_at"), table_name="identity_merge")
    op.drop_index(op.f("ix_identity_merge_survivor_id"), table_name="identity_merge")
    op.drop_index(op.f("ix_identity_merge_merged_id"), table_name="identity_merge")
    op.drop_table("identity_merge")
    op.drop_index(op.f("ix_identity_block_key_profile_id"), table_name="identity_block_key")
    op.drop_table("identity_block_key")
    op.drop_table("identity_shared_value")
    op.drop_table("identity_settings")
    op.drop_table("outbox_cursor")
