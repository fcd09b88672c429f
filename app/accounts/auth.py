"""Who is calling: a bearer token (API clients) or the session cookie (the web UI). Unsafe
requests authenticated by cookie must echo the session's CSRF token in X-CSRF-Token."""

from __future__ import annotations

import hmac
from functools import wraps

from flask import g, request, session

from app.accounts import service
from app.accounts.models import User
from app.errors import Forbidden, NotAuthenticated

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def current_user() -> User:
    """The authenticated user of this request, or NotAuthenticated (401)."""
    if "user" not in g:
        g.user = _authenticate()
    return g.user


def _authenticate() -> User:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated("Authorization header must be 'Bearer <token>'.")
        return service.user_from_token(token.strip())
    if "uid" in session:
        _check_csrf()
        return service.user_from_session(session["uid"], session.get("tv"))
    raise NotAuthenticated("Log in first: send 'Authorization: Bearer <token>'.")


def _check_csrf() -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get("X-CSRF-Token", "")
    if not hmac.compare_digest(sent, session.get("csrf", "")):
        raise Forbidden("Missing or wrong X-CSRF-Token header for a cookie-authenticated change.")


def login_required(view):
    """Authenticate before the handler runs (handlers then call current_user())."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        current_user()
        return view(*args, **kwargs)

    return wrapper
