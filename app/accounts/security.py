"""Password hashing (argon2) and signed, expiring bearer tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from app.core.clock import now

_hashers: dict[tuple, PasswordHasher] = {}


def _hasher() -> PasswordHasher:
    params = tuple(sorted(current_app.config.get("PASSWORD_HASH_PARAMS", {}).items()))
    if params not in _hashers:
        _hashers[params] = PasswordHasher(**dict(params))
    return _hashers[params]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class _ClockSigner(TimestampSigner):
    """Timestamps from the application clock, so token expiry is testable without sleeping."""

    def get_timestamp(self) -> int:
        return int(now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="huizhen.api-token", signer=_ClockSigner)


def issue_token(user_id: int, token_version: int) -> tuple[str, datetime]:
    ttl = current_app.config["TOKEN_TTL_SECONDS"]
    token = _serializer().dumps({"uid": user_id, "v": token_version})
    issued = datetime.fromtimestamp(int(now().timestamp()), tz=now().tzinfo)
    return token, issued + timedelta(seconds=ttl)


class TokenError(Exception):
    pass


def read_token(token: str) -> dict:
    """The token's claims; TokenError with a reason a client can show when it is no good."""
    try:
        return _serializer().loads(token, max_age=current_app.config["TOKEN_TTL_SECONDS"])
    except SignatureExpired as exc:
        raise TokenError("token expired; log in again") from exc
    except BadSignature as exc:
        raise TokenError("token invalid") from exc
