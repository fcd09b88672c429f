"""Hostile account input found by fuzzing: a 422 naming the field, never a 500."""

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.extensions import db
from tests.factories import token_headers


def test_email_longer_than_254_characters_is_422_naming_it(client, make):
    admin = make.user(Role.admin)
    email = "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "com"  # valid syntax, 312 characters

    resp = client.post("/api/v1/users", headers=token_headers(admin), json={
        "email": email, "display_name": "X", "role": "admin", "hospital_id": admin.hospital_id,
        "password": "0123456789"})

    assert resp.status_code == 422
    assert "email" in resp.get_json()["errors"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
