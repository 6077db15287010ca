"""The beauty advisors' tablet page at ``/ba/``: server-side templates, hand-written JS and CSS.

``mount_ba_page`` adds it to the API: the signed session cookie (store sign-in), the routes, and
the static files, all served by skinlab itself (no CDN, no front-end build).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from serving.ba.routes import router
from skinlab.settings import Settings

STATIC_DIR = Path(__file__).parent / "static"
# A tablet stays signed in for one working day.
SESSION_MAX_AGE_S = 12 * 60 * 60


def mount_ba_page(app: FastAPI, settings: Settings) -> None:
    """Serve the BA page at ``/ba/`` and its assets at ``/ba/static``."""
    assert settings.session_secret is not None  # filled in by Settings
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret.get_secret_value(),
        session_cookie="skinlab_ba",
        max_age=SESSION_MAX_AGE_S,
        # "/", not "/ba": the page's scripts call the JSON API (/analyze, /formulate...) with
        # this cookie, which serving/auth.py accepts as the store's principal.
        path="/",
        same_site="strict",
        https_only=settings.environment == "production",
    )
    app.include_router(router)
    app.mount("/ba/static", StaticFiles(directory=STATIC_DIR), name="ba_static")
