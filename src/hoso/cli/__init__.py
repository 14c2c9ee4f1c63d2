"""The ``hoso`` command. Each module registers its commands on the shared Typer app."""

import logging

from hoso.cli import admin, events, identity, imports, resolution  # noqa: F401  (registers commands)
from hoso.cli.base import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``hoso`` console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
