"""The application clock. Everything that depends on "now" asks here, so tests and
time-driven jobs can run against a controllable clock instead of sleeping."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to. Thread-safe: live-server tests share it."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when

    def advance(self, **delta) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now


_SYSTEM = SystemClock()


def get_clock():
    if has_app_context():
        return current_app.extensions.get("clock", _SYSTEM)
    return _SYSTEM


def now() -> datetime:
    return get_clock().now()
