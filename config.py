"""Configuration classes. Every setting can be overridden by an environment variable of
the same name, so the same code runs embedded (SQLite, one process) and scaled out
(PostgreSQL, Redis, a separate scheduler process) with configuration only."""

from __future__ import annotations

import json
import os

DEFAULT_SECRET_KEY = "dev-insecure-change-me"


def _env(name: str, default):
    """Read `name` from the environment, coerced to the type of `default`."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, (dict, list)):
        return json.loads(raw)
    return raw


class Config:
    SECRET_KEY = _env("SECRET_KEY", DEFAULT_SECRET_KEY)
    # None means "an SQLite file under instance/", resolved by create_app.
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", "") or None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = _env("REDIS_URL", "")
    SOCKETIO_MESSAGE_QUEUE = _env("SOCKETIO_MESSAGE_QUEUE", "")
    # "inline": the web process runs the time-driven jobs; "off": a separate
    # `flask scheduler` process does.
    SCHEDULER_MODE = _env("SCHEDULER_MODE", "inline")

    TOKEN_TTL_SECONDS = _env("TOKEN_TTL_SECONDS", 12 * 3600)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env("SESSION_COOKIE_SECURE", False)
    DEFAULT_LOCALE = _env("DEFAULT_LOCALE", "zh-CN")

    # flask-smorest / OpenAPI
    API_TITLE = "Huizhen 会诊 API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    # Served from the npm package installed at set-up (no CDN at run time).
    OPENAPI_SWAGGER_UI_URL = "/vendor/swagger-ui-dist/"

    PAGE_SIZE_DEFAULT = 20
    PAGE_SIZE_MAX = 100

    # --- realtime ---
    # The Socket.IO message-queue channel: processes of one deployment share it, two
    # deployments on one Redis must not (see docs/README-realtime.md).
    SOCKETIO_CHANNEL = _env("SOCKETIO_CHANNEL", "flask-socketio")
    # Minutes before a session when its participants are reminded, each exactly once.
    REMINDER_OFFSETS_MINUTES = _env("REMINDER_OFFSETS_MINUTES", [24 * 60, 15])
    # How long after its end a session without an outcome is flagged to the schedulers.
    OVERDUE_GRACE_MINUTES = _env("OVERDUE_GRACE_MINUTES", 30)
    # A file lock so that one host runs at most one scheduler (reloader, several workers).
    SCHEDULER_LOCK_FILE = _env("SCHEDULER_LOCK_FILE", "")
    # A job that could not start on time (process busy or down) still runs this late.
    SCHEDULER_MISFIRE_GRACE_SECONDS = _env("SCHEDULER_MISFIRE_GRACE_SECONDS", 300)


class DevelopmentConfig(Config):
    DEBUG = _env("FLASK_DEBUG", False)


class TestingConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = _env("TEST_DATABASE_URL", "") or None
    SCHEDULER_MODE = "off"
    TOKEN_TTL_SECONDS = 3600


class ProductionConfig(Config):
    SCHEDULER_MODE = _env("SCHEDULER_MODE", "off")
    SESSION_COOKIE_SECURE = _env("SESSION_COOKIE_SECURE", True)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
