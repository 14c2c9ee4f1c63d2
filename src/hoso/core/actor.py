"""Who is acting: a user (session login) or an API key, with the permissions of a role.

Roles are fixed positions in a small business. Checks happen in services and default to deny:
a permission that no role grants explicitly is refused.
"""

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from hoso.core.errors import PermissionDenied
from hoso.core.types import WorkspaceId


class Permission(StrEnum):
    """What an actor may do; API key scopes use the same values."""

    PROFILES_READ = "profiles:read"
    PROFILES_WRITE = "profiles:write"
    PROFILES_DELETE = "profiles:delete"
    PROFILES_MERGE = "profiles:merge"  # merge and unmerge customers, decide review pairs
    NOTES_WRITE = "notes:write"
    INTERACTIONS_WRITE = "interactions:write"
    ORDERS_WRITE = "orders:write"
    ATTRIBUTES_MANAGE = "attributes:manage"
    USERS_MANAGE = "users:manage"
    API_KEYS_MANAGE = "api_keys:manage"
    AUDIT_READ = "audit:read"


class Role(StrEnum):
    """Positions in a small business, each with a fixed set of permissions."""

    OWNER = "owner"
    ADMIN = "admin"
    MANAGER = "manager"
    SALES = "sales"
    SUPPORT = "support"
    MARKETING = "marketing"
    VIEWER = "viewer"


P = Permission
_STAFF = frozenset({P.PROFILES_READ, P.PROFILES_WRITE, P.NOTES_WRITE, P.INTERACTIONS_WRITE})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: _STAFF
    | {P.PROFILES_DELETE, P.PROFILES_MERGE, P.ORDERS_WRITE, P.ATTRIBUTES_MANAGE, P.AUDIT_READ},
    Role.SALES: _STAFF | {P.ORDERS_WRITE},
    Role.SUPPORT: _STAFF,
    Role.MARKETING: frozenset({P.PROFILES_READ, P.NOTES_WRITE}),
    Role.VIEWER: frozenset({P.PROFILES_READ}),
}


class ActorKind(StrEnum):
    """Who acts: a person, an integration, or hoso itself (jobs, CLI)."""

    USER = "user"
    API_KEY = "api_key"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller of a service."""

    kind: ActorKind
    id: UUID | None
    workspace_id: WorkspaceId
    permissions: frozenset[Permission]
    display: str = ""
    role: Role | None = None

    def can(self, permission: Permission) -> bool:
        """Whether this actor holds ``permission``."""
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        """Refuse unless this actor holds ``permission``.

        Raises:
            PermissionDenied: The permission is not granted.
        """
        if permission not in self.permissions:
            raise PermissionDenied(permission=permission.value)

    @classmethod
    def system(cls, workspace_id: WorkspaceId, display: str = "system") -> "Actor":
        """An actor for jobs and the CLI, holding every permission."""
        return cls(ActorKind.SYSTEM, None, workspace_id, frozenset(Permission), display)
