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

    # --- outcomes ---
    # Report periods (whole days) and monthly trends are cut in this time zone.
    EVALUATION_TIMEZONE = _env("EVALUATION_TIMEZONE", "Asia/Shanghai")
    # Longest period a monthly trend or chart covers, to bound the work of one request.
    EVALUATION_MAX_MONTHS = _env("EVALUATION_MAX_MONTHS", 60)
    # --- rosters ---
    # How far ahead roster rules are materialised into bookable slots (days).
    ROSTER_HORIZON_DAYS = _env("ROSTER_HORIZON_DAYS", 56)
    # How far back a calendar feed shows bookings (days).
    ROSTER_FEED_PAST_DAYS = _env("ROSTER_FEED_PAST_DAYS", 30)
    # --- consults / matching / bookings ---
    # Score weights of the named parts (see app/matching/scoring.py).
    MATCH_WEIGHTS = _env("MATCH_WEIGHTS", {"time": 1.0, "partnership": 3.0, "continuity": 2.0,
                                           "load": 1.0, "quality": 1.0, "travel": 0.5})
    # How much the time-to-slot part counts, per urgency.
    MATCH_URGENCY_TIME_FACTOR = _env("MATCH_URGENCY_TIME_FACTOR", {"routine": 0.5, "urgent": 1.5, "emergency": 3.0})
    # Minutes an expert has to answer an offer, per urgency.
    OFFER_DEADLINE_MINUTES = _env("OFFER_DEADLINE_MINUTES", {"routine": 24 * 60, "urgent": 30, "emergency": 10})
    EMERGENCY_FANOUT = _env("EMERGENCY_FANOUT", 3)
    # "fallback": out-of-network experts only when no in-network candidate is left in the
    # window; "allow": ranked together (partnership weight still prefers in-network); "never".
    MATCH_OUT_OF_NETWORK = _env("MATCH_OUT_OF_NETWORK", "fallback")
    TRAVEL_SPEED_KMH = _env("TRAVEL_SPEED_KMH", 60.0)
    TRAVEL_MAX_MINUTES = _env("TRAVEL_MAX_MINUTES", 240)
    # Optional {"<from hospital id>-<to hospital id>": minutes}; overrides the distance estimate.
    TRAVEL_MATRIX = _env("TRAVEL_MATRIX", {})
    MATCH_LOAD_DAYS = _env("MATCH_LOAD_DAYS", 30)
    MATCH_QUALITY_DAYS = _env("MATCH_QUALITY_DAYS", 180)
    VIDEO_BASE_URL = _env("VIDEO_BASE_URL", "https://meet.jit.si")
    VIDEO_ROOM_PREFIX = _env("VIDEO_ROOM_PREFIX", "huizhen-")
    BOOKING_START_EARLY_MINUTES = _env("BOOKING_START_EARLY_MINUTES", 15)
    BOOKING_NO_SHOW_GRACE_MINUTES = _env("BOOKING_NO_SHOW_GRACE_MINUTES", 10)
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
