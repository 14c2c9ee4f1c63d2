"""Apply Alembic migrations from the package (``hoso db upgrade`` and on start)."""

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

# Serialises concurrent upgrades (two processes starting on one database).
_ADVISORY_LOCK = 0x686F736F  # "hoso"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at the migrations shipped inside the package."""
    cfg = Config()
    cfg.set_main_option("script_location", "hoso:migrations")
    cfg.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(rev)s_%%(slug)s")
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` under an advisory lock."""
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _ADVISORY_LOCK})
        try:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            conn.commit()
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_LOCK})
            conn.commit()


def downgrade(engine: Engine, revision: str) -> None:
    """Downgrade the database to ``revision``."""
    with engine.connect() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
        conn.commit()
