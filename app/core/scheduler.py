"""The time-driven work: every domain's `jobs.py` `JOBS` list, run by one APScheduler 3.11
BackgroundScheduler.

Jobs are idempotent sweeps over database state, so the job store is in memory: a restart
loses nothing (the first run after start catches up on everything due meanwhile), and two
schedulers running by mistake do no harm. Still, a file lock keeps one scheduler per host:
the werkzeug reloader and several gunicorn workers must not each start one.

SCHEDULER_MODE=inline (development): started by the first request the web process serves.
SCHEDULER_MODE=off (production, tests): `flask scheduler` runs it as its own process.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)

SCHEDULER_KEY = "huizhen.scheduler"
LOCK_KEY = "huizhen.scheduler_lock"
RETRY_LOCK_SECONDS = 60


def collect_jobs() -> list[tuple]:
    """(job_id, function, trigger kwargs) from every domain's jobs.py, in domain order."""
    from app import DOMAINS, _domain_module

    jobs = []
    for domain in DOMAINS:
        module = _domain_module(domain, "jobs")
        jobs.extend(getattr(module, "JOBS", ()))
    ids = [job_id for job_id, _fn, _kw in jobs]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise RuntimeError(f"duplicate job ids: {sorted(duplicates)}")
    return jobs


def run_job(app, job_id: str, fn) -> dict | None:
    """Run one job in its own app context (own session); log its summary or its failure."""
    from app.extensions import db

    with app.app_context():
        started = time.perf_counter()
        try:
            result = fn()
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", job_id)
            raise
        log.info("job %s done in %.0f ms: %s", job_id, (time.perf_counter() - started) * 1000, result)
        return result


def run_all_once(app) -> dict:
    return {job_id: run_job(app, job_id, fn) for job_id, fn, _kw in collect_jobs()}


def build(app) -> BackgroundScheduler:
    # One run at a time per job, missed runs collapsed into one, late runs still made.
    defaults = {"coalesce": True, "max_instances": 1,
                "misfire_grace_time": app.config.get("SCHEDULER_MISFIRE_GRACE_SECONDS", 300)}
    scheduler = BackgroundScheduler(timezone=UTC, job_defaults=defaults)
    start = datetime.now(UTC)
    for job_id, fn, trigger in collect_jobs():
        # First run at once: catch up on what came due while no scheduler ran.
        options = {**defaults, "next_run_time": start, **trigger}
        scheduler.add_job(run_job, args=(app, job_id, fn), id=job_id, name=job_id,
                          replace_existing=True, **options)
    return scheduler


# --- one scheduler per host ----------------------------------------------------------------


def lock_path(app) -> str:
    return app.config.get("SCHEDULER_LOCK_FILE") or os.path.join(app.instance_path, "scheduler.lock")


def acquire_lock(app, blocking: bool):
    """The host-wide scheduler lock (an flock), or None when another process holds it."""
    import fcntl

    path = lock_path(app)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 - held for the life of the process
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        handle.close()
        return None
    app.extensions[LOCK_KEY] = handle
    return handle


# --- inline mode (development) -------------------------------------------------------------


def init_app(app) -> None:
    if app.config.get("SCHEDULER_MODE") != "inline" or app.testing:
        return
    state = {"next_try": 0.0, "lock": threading.Lock()}

    # The first request shows this process is the one serving (not the reloader's parent,
    # not a `flask db upgrade`); the lock then picks one process of the host.
    @app.before_request
    def _start_scheduler_once():
        if SCHEDULER_KEY in app.extensions or time.monotonic() < state["next_try"]:
            return
        with state["lock"]:
            if SCHEDULER_KEY not in app.extensions:
                start_inline(app, state)


def start_inline(app, state: dict) -> None:
    if acquire_lock(app, blocking=False) is None:
        state["next_try"] = time.monotonic() + RETRY_LOCK_SECONDS
        log.info("another process runs the scheduler on this host")
        return
    scheduler = build(app)
    scheduler.start()
    app.extensions[SCHEDULER_KEY] = scheduler
    log.info("scheduler started in the web process: %s", [j.id for j in scheduler.get_jobs()])


# --- its own process (production) ----------------------------------------------------------


def use_message_queue_for_events(app) -> None:
    """This process serves no clients: publish its events to the message queue, write-only."""
    from app.core.realtime import EMITTER_KEY, write_only_emitter

    url = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if not url:
        log.warning("SOCKETIO_MESSAGE_QUEUE is not set: events of this process reach no client "
                    "at once (clients still get them by replay or GET /api/v1/notifications)")
        return
    app.extensions[EMITTER_KEY] = write_only_emitter(url, app.config.get("SOCKETIO_CHANNEL") or "flask-socketio")


def run_forever(app, stop: threading.Event) -> None:
    if acquire_lock(app, blocking=False) is None:
        # A standby: takes over when the running scheduler stops; SIGTERM still ends it.
        log.warning("another scheduler holds %s; waiting for it to stop", lock_path(app))
        while acquire_lock(app, blocking=False) is None:
            if stop.wait(1):
                return
    use_message_queue_for_events(app)
    scheduler = build(app)
    scheduler.start()
    log.info("scheduler running: %s", [j.id for j in scheduler.get_jobs()])
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
