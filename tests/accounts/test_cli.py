import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db


def test_create_user_cli_creates_a_user_who_can_log_in(app, make, client):
    make.hospital(code="BJ-TEST")
    db.session.commit()

    result = app.test_cli_runner().invoke(args=[
        "create-user", "--email", "Sched@Example.test", "--name", "排班员", "--role", "scheduler",
        "--hospital", "BJ-TEST", "--password", "a long password"])

    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User.role).where(User.email == "sched@example.test")).name == "scheduler"
    login = client.post("/api/v1/auth/login", json={"email": "sched@example.test", "password": "a long password"})
    assert login.status_code == 200


def test_create_user_cli_names_an_unknown_hospital(app):
    result = app.test_cli_runner().invoke(args=[
        "create-user", "--email", "x@example.test", "--name", "X", "--role", "admin",
        "--hospital", "NOPE", "--password", "a long password"])

    assert result.exit_code != 0
    assert "NOPE" in result.output


def test_seed_demo_is_idempotent_and_prints_logins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    users_after_first = db.session.scalar(sa.select(sa.func.count(User.id)))
    second = runner.invoke(args=["seed-demo"])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == users_after_first
    assert "admin@huizhen.demo" in first.output
    assert "county_doctor" in first.output
