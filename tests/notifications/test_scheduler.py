"""The scheduler: jobs from every domain's JOBS with explicit ids; in-process only where
configured, and once per host; `flask scheduler` as its own process."""

from __future__ import annotations

import json
from datetime import timedelta

from app import create_app
from app.core import scheduler
from app.extensions import db
from tests.conftest import T0


def test_jobs_come_from_domain_job_lists_with_explicit_ids_and_safe_defaults(app):
    built = scheduler.build(app)
    jobs = {job.id: job for job in built.get_jobs()}
    assert {"bookings.send_due_reminders", "bookings.flag_overdue_sessions"} <= set(jobs)
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time == 300


def test_testing_app_runs_no_scheduler(app, client):
    client.get("/")
    assert scheduler.SCHEDULER_KEY not in app.extensions


def test_inline_scheduler_starts_in_one_process_of_the_host_only(database_url, tmp_path):
    lock = str(tmp_path / "scheduler.lock")
    apps = [create_app("development", SQLALCHEMY_DATABASE_URI=database_url, SCHEDULER_LOCK_FILE=lock)
            for _ in range(2)]  # two workers (or the reloader and its child) on one host
    try:
        for worker in apps:
            worker.test_client().get("/")
        running = [a for a in apps if scheduler.SCHEDULER_KEY in a.extensions]
        assert len(running) == 1
    finally:
        for worker in apps:
            if scheduler.SCHEDULER_KEY in worker.extensions:
                worker.extensions[scheduler.SCHEDULER_KEY].shutdown(wait=True)
            if scheduler.LOCK_KEY in worker.extensions:
                worker.extensions[scheduler.LOCK_KEY].close()


def test_flask_scheduler_once_runs_every_job_and_prints_summaries(app, make, clock):
    make.booking(make.slot(make.expert(), starts_at=T0 + timedelta(minutes=10)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["bookings.send_due_reminders"] == {"reminded": 1}
    assert summary["bookings.flag_overdue_sessions"] == {"flagged": 0}


def test_flask_scheduler_list_shows_jobs_and_triggers(app):
    result = app.test_cli_runner().invoke(args=["scheduler", "--list"])
    assert "bookings.send_due_reminders\t" in result.output and '"interval"' in result.output
