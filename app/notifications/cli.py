"""`flask scheduler`: the time-driven jobs as their own process (production)."""

from __future__ import annotations

import json
import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from app.core import scheduler as sched


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run every job once now, print the summaries, exit.")
@click.option("--list", "list_jobs", is_flag=True, help="List the jobs and their triggers, exit.")
@with_appcontext
def scheduler_command(once: bool, list_jobs: bool):
    """Run the scheduler (web processes then use SCHEDULER_MODE=off)."""
    app = current_app._get_current_object()
    if list_jobs:
        for job_id, _fn, trigger in sched.collect_jobs():
            click.echo(f"{job_id}\t{json.dumps(trigger, default=str)}")
        return
    if once:
        sched.use_message_queue_for_events(app)
        click.echo(json.dumps(sched.run_all_once(app), default=str, ensure_ascii=False))
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    sched.run_forever(app, stop)


commands = [scheduler_command]
