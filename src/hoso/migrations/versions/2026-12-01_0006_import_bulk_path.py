"""Issue #3, the set-based import path: no schema change.

The bulk path (hoso.ingest.bulk, hoso.profiles.bulk) matches on the existing
profile_identifier (workspace_id, kind, value) index and writes with COPY into the existing
tables; its staging tables are temporary (ON COMMIT DROP). The revision is kept so that the
chain of revisions stays the one every branch agreed on.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 19:40:00
"""

from collections.abc import Sequence

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
