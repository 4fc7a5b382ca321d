"""Pages' sign-in: the API's own token in an HttpOnly, SameSite cookie (Secure behind TLS), and a CSRF token bound
to it (HMAC with the server's secret) that every form posts back."""
from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

from app.auth.policy import Actor
from app.auth.service import actor_from_token
from app.errors import BatonError

COOKIE = "baton_session"


def secure(request: Request) -> bool:
    """Behind TLS (directly, or a proxy saying so) the cookie is Secure."""
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def csrf_token(secret: str, session_token: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{session_token}".encode(), hashlib.sha256).hexdigest()


def current(request: Request) -> tuple[Actor | None, str | None]:
    """The signed-in page user and its session token, or (None, None)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None, None
    try:
        return actor_from_token(request.app.state.db, token, request.app.state.settings.secret_key or ""), token
    except BatonError:
        return None, None


def csrf_ok(request: Request, token: str | None, posted: str | None) -> bool:
    if not token or not posted:
        return False
    return hmac.compare_digest(csrf_token(request.app.state.settings.secret_key or "", token), posted)
