"""Settings: one tree, read from ``HOSO_*`` environment variables, injected (never at import)."""

import functools
from pathlib import Path
from typing import Literal, Self

import platformdirs
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Locale = Literal["vi", "en"]


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("hoso", appauthor=False))


class Settings(BaseSettings):
    """Everything configurable. ``HOSO_DATABASE_URL`` empty means the embedded PostgreSQL."""

    model_config = SettingsConfigDict(
        env_prefix="HOSO_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    env: Literal["dev", "test", "prod"] = "dev"
    database_url: str | None = None
    data_dir: Path = Field(default_factory=_default_data_dir)
    secret_key: SecretStr = SecretStr("dev-insecure-secret-change-me")
    default_locale: Locale = "vi"
    db_pool_size: int = 10
    session_max_age_s: int = 14 * 24 * 3600
    cookie_secure: bool = False
    # Run a background worker thread inside `hoso serve` (imports and other jobs). Turn off
    # when separate `hoso worker` processes run the queue.
    run_worker: bool = True

    @model_validator(mode="after")
    def _no_placeholder_secrets_in_prod(self) -> Self:
        if self.env == "prod" and self.secret_key.get_secret_value().startswith("dev-"):
            raise ValueError("HOSO_SECRET_KEY must be set to a real secret when HOSO_ENV=prod")
        return self


@functools.cache
def get_settings() -> Settings:
    """Return the process settings, read once from the environment."""
    return Settings()
