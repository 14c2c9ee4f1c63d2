from hoso.core.errors import Conflict, InvalidInput, NotFound, Unauthenticated


class WorkspaceNotFound(NotFound):
    code = "workspace_not_found"


class UserNotFound(NotFound):
    code = "user_not_found"


class UserEmailTaken(Conflict):
    code = "user_email_taken"


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"


class InvalidApiKey(Unauthenticated):
    code = "invalid_api_key"


class UnknownScope(InvalidInput):
    code = "unknown_scope"
