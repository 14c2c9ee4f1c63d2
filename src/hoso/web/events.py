"""Web pages for events (filled in by its issue)."""

from fastapi import APIRouter

router = APIRouter()
