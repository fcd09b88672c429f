"""Huizhen (会诊): consultation scheduling between county hospitals and their partner
tertiary hospitals."""

from __future__ import annotations

import importlib
import logging
import os

from flask import Flask

from config import CONFIGS, DEFAULT_SECRET_KEY


def create_app(config_name: str | None = None, **overrides) -> Flask:
    config_name = config_name or os.environ.get("HUIZHEN_ENV", "development")
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(CONFIGS[config_name])
    app.config.update(overrides)
    app.json.ensure_ascii = False  # Chinese names readable in responses
    _resolve_database_url(app)
    _refuse_default_secrets(app, config_name)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _resolve_database_url(app: Flask) -> None:
    if app.config.get("SQLALCHEMY_DATABASE_URI"):
        return
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "huizhen.db")


def _refuse_default_secrets(app: Flask, config_name: str) -> None:
    if config_name != "production":
        return
    secret = app.config.get("SECRET_KEY") or ""
    if secret == DEFAULT_SECRET_KEY or len(secret) < 32:
        raise RuntimeError("Production needs SECRET_KEY set in the environment (32+ random characters).")


def _init_extensions(app: Flask) -> None:
    from app.core import sqlite
    from app.core.clock import SystemClock
    from app.errors import register_error_handlers
    from app.extensions import api, db, migrate, socketio

    app.extensions.setdefault("clock", SystemClock())
    db.init_app(app)
    sqlite.configure_engines(app)
    migrations = os.path.join(os.path.dirname(app.root_path), "migrations")
    # Batch mode lets SQLite alter tables; compare_type keeps `db check` honest about types.
    migrate.init_app(app, db, directory=migrations, render_as_batch=True, compare_type=True)
    api.init_app(app)
    socketio.init_app(
        app,
        async_mode="threading",
        message_queue=app.config.get("SOCKETIO_MESSAGE_QUEUE") or None,
        channel=app.config["SOCKETIO_CHANNEL"],
        cors_allowed_origins=[],
    )
    register_error_handlers(app)

    import app.models  # noqa: F401  (every table known to the metadata and to Alembic)


# Each domain may have an `api.py` (a flask-smorest `blp`) and a `cli.py` (a `commands` list);
# they are found here, so adding a domain never means editing this file.
DOMAINS = ("accounts", "directory", "rosters", "consults", "matching", "bookings", "outcomes",
           "evaluation", "notifications", "interop")


def _domain_module(domain: str, name: str):
    try:
        return importlib.import_module(f"app.{domain}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"app.{domain}.{name}":
            return None
        raise


def _register_blueprints(app: Flask) -> None:
    from app.extensions import api
    from app.web import bp as web_bp

    for domain in DOMAINS:
        module = _domain_module(domain, "api")
        if module is not None:
            api.register_blueprint(module.blp, url_prefix="/api/v1")
    app.register_blueprint(web_bp)


def _register_cli(app: Flask) -> None:
    for domain in DOMAINS:
        module = _domain_module(domain, "cli")
        for command in getattr(module, "commands", ()):
            app.cli.add_command(command)
