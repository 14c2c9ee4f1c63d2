"""Masking of personal data for places that must not hold it in clear (the audit log)."""

from typing import Any

SENSITIVE_KEYS = frozenset(
    {
        "phone",
        "phones",
        "email",
        "emails",
        "birth_date",
        "value",
        "value_raw",
        "raw",
        "address",
        "addresses",
        "line",
        "password",
        "password_hash",
    }
)


def mask_text(value: str) -> str:
    """Keep the first two and last two characters; mask the rest (emails keep the domain)."""
    if "@" in value:
        local, _, domain = value.partition("@")
        return (local[:1] + "***@" + domain) if local else "***@" + domain
    if len(value) <= 4:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def mask(data: Any, *, key: str | None = None) -> Any:
    """Return ``data`` with values under sensitive keys masked, recursively."""
    if isinstance(data, dict):
        return {k: mask(v, key=k) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [mask(v, key=key) for v in data]
    if key in SENSITIVE_KEYS and data is not None:
        if key in {"password", "password_hash"}:
            return "***"
        return mask_text(str(data))
    return data
