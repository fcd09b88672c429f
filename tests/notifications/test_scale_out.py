"""Several processes share events through Redis: web process A, web process B, and the
scheduler process (write-only). Needs Redis; under CI an unreachable Redis fails loudly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from app.accounts.models import Role
from tests.notifications.conftest import Inbox, connect, token_of

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


@pytest.fixture(scope="module")
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis at {REDIS_URL} cannot be reached under CI: {exc}", pytrace=False)
        pytest.skip(f"Redis at {REDIS_URL} not reachable (CI would fail here): {exc}")
    return REDIS_URL


@pytest.fixture
def cluster_env(app, redis_url, database_url):
    """The environment every process of one test deployment shares; a channel of its own."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "SOCKETIO_MESSAGE_QUEUE": redis_url,
        "SOCKETIO_CHANNEL": f"huizhen-test-realtime-{uuid.uuid4().hex[:12]}",
        "SCHEDULER_MODE": "off",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def web_process(cluster_env):
    processes = []

    def start() -> str:
        proc = subprocess.Popen([sys.executable, "-m", "tests.notifications.serve_app"], cwd=ROOT,
                                env=cluster_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        processes.append(proc)
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            proc.kill()
            pytest.fail(f"web process did not start: {line!r} {proc.stderr.read()[-2000:]}")
        return f"http://127.0.0.1:{line.split()[1]}"

    yield start
    for proc in processes:
        proc.terminate()
        proc.wait(timeout=10)


def test_client_on_process_b_gets_events_from_process_a_and_from_the_scheduler(
        make, web_process, cluster_env, clock):
    clock.set(datetime.now(UTC))  # the other processes run on the system clock
    expert = make.expert()
    admin = make.user(Role.admin)
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    make.booking(make.slot(expert, starts_at=soon))  # the scheduler's 15-minute reminder is due
    process_a, process_b = web_process(), web_process()

    inbox = Inbox()
    client = connect(process_b, {"token": token_of(expert.user)}, inbox)
    try:
        response = requests.post(f"{process_a}/api/v1/notifications/system-messages",
                                 json={"user_ids": [expert.user.id], "text": "via A"},
                                 headers={"Authorization": f"Bearer {token_of(admin)}"}, timeout=10)
        assert response.status_code == 201, response.text
        assert inbox.wait_for(1)[0]["payload"]["text"] == "via A"

        run = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "--once"],
                             cwd=ROOT, env={**cluster_env, "HUIZHEN_ENV": "development"},
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr[-2000:]
        assert json.loads(run.stdout.strip().splitlines()[-1])["bookings.send_due_reminders"] == {"reminded": 1}
        reminder = inbox.wait_for(2)[1]
        assert reminder["type"] == "booking.reminder" and reminder["payload"]["minutes_before"] == 15
    finally:
        client.disconnect()
