"""Fan-out latency: from the commit of a transaction holding one notification per user to
its receipt by each user's connected Socket.IO client, on ONE server process.

The server (werkzeug threaded + simple-websocket, Flask-SocketIO threading mode, as in
development) runs in this process; the clients run in worker processes so that they do
not compete with it for the GIL. Each round commits one notification for every connected
user and stamps the time just before the commit into the payload; a client's latency is
its receipt time minus that stamp (same host, same clock). Lost = expected - received.

Baseline: the same rounds with one connected client, in the same run.

    .venv/bin/python bench/fanout.py --clients 1000 --rounds 5 --workers 4
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# --- client worker process -------------------------------------------------------------------


def worker(url: str, tokens_file: str, expect: int, deadline: float) -> None:
    import socketio

    tokens = json.loads(Path(tokens_file).read_text())
    latencies: list[float] = []
    lock = threading.Lock()
    done = threading.Event()
    total = expect * len(tokens)

    def on_notification(data):
        now = time.time()
        with lock:
            latencies.append(now - data["payload"]["t0"])
            if len(latencies) >= total:
                done.set()

    clients, failed = [], 0
    began = time.perf_counter()
    for n, token in enumerate(tokens, 1):
        if os.environ.get("FANOUT_PROGRESS") and n % 25 == 0:
            print(f"worker {os.getpid()}: {n} connected in {time.perf_counter() - began:.1f} s",
                  file=sys.stderr, flush=True)
        client = socketio.Client(reconnection=False)
        client.on("notification", on_notification)
        try:
            client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=30)
            clients.append(client)
        except Exception:  # noqa: BLE001 - counted, reported
            failed += 1
    print("READY", flush=True)
    done.wait(deadline)
    with lock:
        result = {"latencies": latencies, "connect_failed": failed}
    print("WORKER " + json.dumps(result), flush=True)
    # Exit without closing each socket: a clean close waits up to 3 s per client for a close
    # frame; the server sees the connections drop, which is what is measured next anyway.
    os._exit(0)


# --- the server process (this one) ----------------------------------------------------------


def make_app(db_path: str):
    from flask_migrate import upgrade

    from app import create_app

    app = create_app("development", SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_path}", SCHEDULER_MODE="off",
                     SECRET_KEY="bench-secret-key-not-for-production-use-0123456789")
    with app.app_context():
        upgrade()
    return app


def make_users(app, count: int, prefix: str) -> list[tuple[int, str]]:
    from app.accounts import service as accounts
    from app.accounts.models import Role, User
    from app.directory.models import Hospital, Tier
    from app.extensions import db

    with app.app_context():
        hospital = Hospital(code=f"B-{prefix}", name="基准医院", tier=Tier.tertiary, region="北京市",
                            timezone="Asia/Shanghai", latitude=39.9, longitude=116.4)
        db.session.add(hospital)
        db.session.flush()
        users = [User(email=f"{prefix}{i}@bench.test", display_name=f"B{i}", role=Role.expert,
                      hospital_id=hospital.id, password_hash="-") for i in range(count)]
        db.session.add_all(users)
        db.session.commit()
        return [(u.id, accounts.token_for(u)["access_token"]) for u in users]


def start_workers(url: str, users, workers: int, rounds: int, deadline: float, tmp: str):
    procs = []
    for w in range(workers):
        share = [token for _uid, token in users[w::workers]]
        if not share:
            continue
        path = os.path.join(tmp, f"tokens-{len(users)}-{w}.json")
        Path(path).write_text(json.dumps(share))
        procs.append(subprocess.Popen(
            [sys.executable, __file__, "--worker", url, path, str(rounds), str(deadline)],
            stdout=subprocess.PIPE, text=True))
    for proc in procs:
        line = proc.stdout.readline()
        if line.strip() != "READY":
            raise RuntimeError(f"worker did not get ready: {line!r}")
    return procs


def commit_round(app, user_ids, round_no: int) -> float:
    from app.extensions import db
    from app.notifications.service import notify_many

    with app.app_context():
        rows = notify_many(user_ids, "bench.fanout", {"round": round_no})
        t0 = time.time()
        for row in rows:
            row.payload = {"round": round_no, "t0": t0}
        db.session.commit()
        return time.time() - t0


def phase(app, url: str, users, rounds: int, workers: int, interval: float, tmp: str) -> dict:
    deadline = rounds * interval + 30
    started = time.perf_counter()
    procs = start_workers(url, users, workers, rounds, deadline, tmp)
    connect_s = time.perf_counter() - started
    commit_s = [commit_round(app, [uid for uid, _ in users], r) for r in range(rounds)
                if not time.sleep(interval)]
    latencies, failed = [], 0
    for proc in procs:
        out = [line for line in proc.stdout if line.startswith("WORKER ")]
        proc.wait()
        result = json.loads(out[-1][len("WORKER "):])
        latencies += result["latencies"]
        failed += result["connect_failed"]
    return summarize(latencies, len(users) * rounds, failed, connect_s, commit_s)


def summarize(latencies, expected: int, failed: int, connect_s: float, commit_s) -> dict:
    ms = sorted(x * 1000 for x in latencies)

    def pct(p):
        return round(ms[min(len(ms) - 1, int(p / 100 * len(ms)))], 2) if ms else None

    return {"expected": expected, "received": len(ms), "lost": expected - len(ms),
            "connect_failed": failed, "p50_ms": pct(50), "p99_ms": pct(99), "max_ms": pct(100),
            "mean_ms": round(statistics.fmean(ms), 2) if ms else None,
            "connect_all_s": round(connect_s, 2), "commit_ms_mean": round(statistics.fmean(commit_s) * 1000, 2)}


def serve(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _, _, url, tokens, expect, deadline = sys.argv
        worker(url, tokens, int(expect), float(deadline))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4, help="client processes")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between rounds")
    args = parser.parse_args()

    import logging

    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(os.path.join(tmp, "bench.db"))
        logging.getLogger().setLevel(logging.WARNING)
        logging.getLogger("werkzeug").setLevel(logging.CRITICAL)  # its 400s on closing sockets
        server, url = serve(app)
        base_users = make_users(app, 1, "base")
        fan_users = make_users(app, args.clients, "fan")
        baseline = phase(app, url, base_users, args.rounds, 1, args.interval, tmp)
        print(f"baseline   1 client : {baseline}")
        fanout = phase(app, url, fan_users, args.rounds, args.workers, args.interval, tmp)
        print(f"fanout {args.clients:4d} clients: {fanout}")
        server.shutdown()
    result = {"clients": args.clients, "rounds": args.rounds, "workers": args.workers,
              "baseline": baseline, "fanout": fanout,
              "p99_ratio": round(fanout["p99_ms"] / baseline["p99_ms"], 1)
              if fanout["p99_ms"] and baseline["p99_ms"] else None}
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
