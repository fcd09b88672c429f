"""SQLite as a serious embedded database: WAL, foreign keys, and write transactions that
take the write lock up front (BEGIN IMMEDIATE). A deferred transaction that reads and then
writes fails with "database is locked" under concurrency whatever the busy timeout."""

from __future__ import annotations

from sqlalchemy import event


def configure_engines(app) -> None:
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
