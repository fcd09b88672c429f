"""Accounts: users, passwords, tokens."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts import policy
from app.accounts.models import Role, User
from app.accounts.security import TokenError, hash_password, issue_token, read_token, verify_password
from app.core import audit
from app.core.clock import now
from app.directory.models import Hospital, Tier
from app.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from app.extensions import db

MIN_PASSWORD_LENGTH = 10

# Which hospital tiers a role may belong to.
ROLE_TIERS = {
    Role.county_doctor: {Tier.grassroots},
    Role.expert: {Tier.tertiary},
    Role.scheduler: {Tier.tertiary, Tier.grassroots},
    Role.admin: {Tier.tertiary, Tier.grassroots},
}


def authenticate(email: str, password: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    # Same answer for unknown email and wrong password: do not reveal who has an account.
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        raise NotAuthenticated("Email or password is wrong.")
    user.last_login_at = now()
    return user


def token_for(user: User) -> dict:
    token, expires_at = issue_token(user.id, user.token_version)
    return {"access_token": token, "token_type": "Bearer", "expires_at": expires_at}


def user_from_token(token: str) -> User:
    try:
        claims = read_token(token)
    except TokenError as exc:
        raise NotAuthenticated(str(exc)) from exc
    return user_from_session(claims.get("uid"), claims.get("v"))


def user_from_session(user_id, token_version) -> User:
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active or user.token_version != token_version:
        raise NotAuthenticated("Session is no longer valid; log in again.")
    return user


def create_user(*, email: str, display_name: str, role: Role, hospital_id: int, password: str,
                locale: str = "zh-CN", actor: User | None = None) -> User:
    if actor is not None:
        policy.authorize(actor, "user:create", hospital_id)
    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None:
        raise NotFound(f"Hospital {hospital_id} does not exist.")
    if hospital.tier not in ROLE_TIERS[role]:
        raise InvalidInput("role", f"a {role.name} cannot belong to a {hospital.tier.name} hospital")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    email = email.strip().lower()
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"A user with email {email} already exists.")
    user = User(email=email, display_name=display_name, role=role, hospital_id=hospital_id,
                password_hash=hash_password(password), locale=locale)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, user, "user.created", to_state=role.name)
    return user


def list_users_stmt(actor: User, args: dict) -> sa.Select:
    hospital_id = args.get("hospital_id")
    if actor.role is not Role.admin:
        hospital_id = actor.hospital_id
    policy.authorize(actor, "user:list", hospital_id)
    stmt = sa.select(User).order_by(User.id)
    if hospital_id is not None:
        stmt = stmt.where(User.hospital_id == hospital_id)
    if args.get("role"):
        stmt = stmt.where(User.role == args["role"])
    return stmt
