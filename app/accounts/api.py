import secrets

from flask import session
from flask_smorest import Blueprint

from app.accounts import service
from app.accounts.auth import current_user, login_required
from app.accounts.schemas import LoginSchema, TokenSchema, UserCreateSchema, UserListArgsSchema, UserSchema
from app.core.pagination import page_of, paginate
from app.extensions import db

blp = Blueprint("accounts", __name__, description="Log in, who am I, users")


@blp.post("/auth/login")
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
def login(creds):
    """Log in: returns a bearer token and also opens a session cookie for the web UI."""
    user = service.authenticate(creds["email"], creds["password"])
    db.session.commit()
    session.clear()
    session.update(uid=user.id, tv=user.token_version, csrf=secrets.token_urlsafe(24))
    return {**service.token_for(user), "csrf_token": session["csrf"], "user": user}


@blp.post("/auth/logout")
@blp.response(204)
def logout():
    """Close the web session (bearer tokens simply expire)."""
    session.clear()


@blp.get("/me")
@login_required
@blp.response(200, UserSchema)
def me():
    return current_user()


@blp.get("/users")
@login_required
@blp.arguments(UserListArgsSchema, location="query")
@blp.response(200, page_of(UserSchema))
def list_users(args):
    """Admins see every user; schedulers see their own hospital's."""
    return paginate(service.list_users_stmt(current_user(), args), args)


@blp.post("/users")
@login_required
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
def create_user(data):
    user = service.create_user(**data, actor=current_user())
    db.session.commit()
    return user
