"""Web pages for identity (filled in by its issue)."""

from fastapi import APIRouter

router = APIRouter()
