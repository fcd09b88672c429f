"""Test fixtures. The suite runs against a real database: a temporary SQLite file by
default, PostgreSQL when TEST_DATABASE_URL is set (as CI does). Time is a ManualClock."""

from __future__ import annotations

import contextvars
import os
import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from app import create_app
from app.core.clock import ManualClock
from app.extensions import db
from tests import factories

# 10:00 in Beijing on a Tuesday: a working morning.
T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)

CHEAP_HASHING = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


def pytest_report_header(config):
    return f"database: {_database_url_for_report()}"


def _database_url_for_report() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    return sa.engine.make_url(url).render_as_string(hide_password=True) if url else "SQLite (temporary file)"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "huizhen-test.db")
    _require_reachable(url)
    _reset_postgres_schema(url)
    return url


def _require_reachable(url: str) -> None:
    """Fail loudly, never skip, when the configured database is down."""
    try:
        with sa.create_engine(url).connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        pytest.exit(f"TEST_DATABASE_URL is set but the database cannot be reached: {exc}", returncode=3)


def _reset_postgres_schema(url: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context (own `g`, own database session), as in a
    real server. The test's pending rows are committed first, so the request sees them and
    no transaction of the test holds SQLite's write lock while the request runs."""

    def open(self, *args, **kwargs):
        db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url):
    from flask_migrate import upgrade

    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        PASSWORD_HASH_PARAMS=CHEAP_HASHING,
        SECRET_KEY="test-secret-key-not-for-production-use",
    )
    app.extensions["clock"] = ManualClock(T0)
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()  # the schema comes from the migrations, exactly as in production
    return app


@pytest.fixture(autouse=True)
def _app_context(app):
    with app.app_context():
        yield
        db.session.remove()
        _delete_all_rows()


def _delete_all_rows() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(sa.text(f"DELETE FROM {name}"))


@pytest.fixture(autouse=True)
def clock(app) -> ManualClock:
    clock = app.extensions["clock"]
    clock.set(T0)
    return clock


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make():
    """The factories: make.hospital(), make.user(role=...), make.expert(), ..."""
    return factories


@pytest.fixture
def is_postgres(app) -> bool:
    return db.engine.dialect.name == "postgresql"


@pytest.fixture(scope="session")
def live_server(app):
    """The app served on a free loopback port in a background thread (HTTP and websockets),
    for tests that need real connections: concurrent clients, socket.io clients."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
