"""Composition helpers: model registration and the database the process should use."""

from hoso.core.config import Settings
from hoso.core.embedded import embedded_database_url


def import_all_models() -> None:
    """Import every ``models`` module so the metadata knows every table (Alembic, mappers)."""
    import hoso.core.audit
    import hoso.core.jobs
    import hoso.core.outbox
    import hoso.events.models
    import hoso.identity.models
    import hoso.ingest.models
    import hoso.profiles.models
    import hoso.workspaces.models  # noqa: F401


def database_url(settings: Settings) -> str:
    """The configured external database, or hoso's database on the embedded server."""
    if settings.database_url:
        return settings.database_url
    return embedded_database_url(settings.data_dir)
