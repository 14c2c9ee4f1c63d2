"""Typed identifiers shared by every domain."""

from typing import NewType
from uuid import UUID

WorkspaceId = NewType("WorkspaceId", UUID)
UserId = NewType("UserId", UUID)
ProfileId = NewType("ProfileId", UUID)
