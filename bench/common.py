"""What the benchmarks share: an empty database to load their generated rows into."""

from __future__ import annotations

import os

import sqlalchemy as sa


def empty_database(url: str) -> None:
    """Start from nothing: delete an SQLite file, or drop and recreate PostgreSQL's public
    schema (so never point a benchmark at a database that holds anything of value)."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
