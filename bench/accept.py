"""Accept-offer throughput over HTTP, with the double-booking count.

Serves the app (threaded werkzeug, as the tests' live server) and drives it with C client
threads: first a trivial authenticated endpoint (GET /api/v1/me) as the baseline of the same
server in the same run, then POST /offers/{id}/accept for N uncontested offers, then a
contested phase where every slot has two offers (two requests) accepted at once. Counts
double bookings afterwards straight from the database (must be 0).

    .venv/bin/python bench/accept.py --offers 600 --clients 8            # SQLite temp file
    .venv/bin/python bench/accept.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_consults

A PostgreSQL database's public schema is DROPPED and recreated. Ends with `RESULT {json}`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import requests
import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import empty_database  # noqa: E402

EXPERTS = 20


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--offers", type=int, default=600, help="uncontested offers (and as many contested pairs / 4)")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--database-url", default="")
    return p.parse_args()


def make_app(url: str):
    from flask_migrate import upgrade

    from app import create_app

    if not url:
        url = "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="huizhen-bench-"), "accept.db")
    else:
        empty_database(url)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="bench-secret-key-bench-secret-key",
                     PASSWORD_HASH_PARAMS={"time_cost": 1, "memory_cost": 1024, "parallelism": 1})
    with app.app_context():
        upgrade()
    return app, url


def build(app, uncontested: int, contested: int):
    """Experts with slots; one offered request per uncontested slot, two per contested one."""
    from app.accounts import service as accounts
    from app.accounts.models import Role
    from app.consults.models import ConsultationRequest, PreferredMode, RequestStatus, Urgency
    from app.directory.models import ExpertProfile, ExpertTitle, Hospital, Specialty, Tier
    from app.extensions import db
    from app.matching.models import Offer
    from app.rosters.models import Slot, SlotMode

    with app.app_context():
        spec = Specialty(code="cardiology", name_zh="心内科", name_en="Cardiology")
        city = Hospital(code="T-1", name="北京医院", tier=Tier.tertiary, region="北京", latitude=39.9, longitude=116.4)
        county = Hospital(code="C-1", name="县医院", tier=Tier.grassroots, region="河北",
                          latitude=38.9, longitude=115.5)
        db.session.add_all([spec, city, county])
        db.session.flush()
        doctor = accounts.create_user(email="doc@bench.test", display_name="Doc", role=Role.county_doctor,
                                      hospital_id=county.id, password="bench-password")
        experts = []
        for i in range(EXPERTS):
            u = accounts.create_user(email=f"e{i}@bench.test", display_name=f"E{i}", role=Role.expert,
                                     hospital_id=city.id, password="bench-password")
            expert = ExpertProfile(user=u, hospital_id=city.id, title=ExpertTitle.chief_physician,
                                   specialties=[spec], daily_cap=100000)
            db.session.add(expert)
            db.session.flush()
            experts.append(expert)
        start = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
        jobs = {"uncontested": [], "contested": []}
        for phase, n, copies in (("uncontested", uncontested, 1), ("contested", contested, 2)):
            for i in range(n):
                e = experts[i % EXPERTS]
                k = i // EXPERTS + (0 if phase == "uncontested" else 100000)
                slot = Slot(expert_id=e.id, starts_at=start + timedelta(minutes=30 * k),
                            ends_at=start + timedelta(minutes=30 * k + 30), mode=SlotMode.remote)
                db.session.add(slot)
                db.session.flush()
                for c in range(copies):
                    req = ConsultationRequest(
                        requester_id=doctor.id, hospital_id=county.id, specialty_id=spec.id, urgency=Urgency.urgent,
                        preferred_mode=PreferredMode.remote, clinical_question="bench", case_summary={},
                        patient_ref=f"B-{phase}-{i}-{c}", window_start=start, window_end=start + timedelta(days=400),
                        status=RequestStatus.offered)
                    db.session.add(req)
                    db.session.flush()
                    offer = Offer(request_id=req.id, expert_id=e.id, slot_id=slot.id,
                                  deadline_at=start + timedelta(days=300))
                    db.session.add(offer)
                    db.session.flush()
                    jobs[phase].append((offer.id, e.user_id))
        tokens = {e.user_id: accounts.token_for(e.user)["access_token"] for e in experts}
        doctor_token = accounts.token_for(doctor)["access_token"]
        db.session.commit()
    return jobs, tokens, doctor_token


def serve(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def drive(calls, clients: int) -> tuple[float, Counter]:
    """Run the (method, url, headers) calls over `clients` threads; (requests/s, status counts)."""
    lock, codes, queue = threading.Lock(), Counter(), list(reversed(calls))

    def worker():
        session = requests.Session()
        while True:
            with lock:
                if not queue:
                    return
                method, url, headers = queue.pop()
            status = session.request(method, url, headers=headers, timeout=60).status_code
            with lock:
                codes[status] += 1

    t = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return len(calls) / (time.perf_counter() - t), codes


def double_bookings(app) -> int:
    from app.extensions import db

    live = "status IN ('scheduled', 'in_progress', 'completed')"
    with app.app_context():
        same_slot = db.session.scalar(sa.text(
            f"SELECT count(*) FROM (SELECT slot_id FROM bookings WHERE {live} GROUP BY slot_id HAVING count(*) > 1) x"))
        overlap = db.session.scalar(sa.text(
            f"""SELECT count(*) FROM bookings a JOIN bookings b ON a.expert_id = b.expert_id AND a.id < b.id
                AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
                WHERE a.{live} AND b.{live}"""))
    return int(same_slot) + int(overlap)


def main() -> None:
    args = parse()
    app, url = make_app(args.database_url)
    contested = max(1, args.offers // 4)
    jobs, tokens, doctor_token = build(app, args.offers, contested)
    server, base = serve(app)

    def accept_calls(pairs):
        return [("POST", f"{base}/api/v1/offers/{o}/accept", {"Authorization": f"Bearer {tokens[u]}"})
                for o, u in pairs]

    trivial = [("GET", f"{base}/api/v1/me", {"Authorization": f"Bearer {doctor_token}"})] * args.offers
    base_rps, base_codes = drive(trivial, args.clients)
    acc_rps, acc_codes = drive(accept_calls(jobs["uncontested"]), args.clients)
    # contested: both offers of a slot are next to each other, so they race
    con_rps, con_codes = drive(accept_calls(jobs["contested"]), args.clients)
    doubles = double_bookings(app)
    server.shutdown()
    backend = sa.engine.make_url(url).get_backend_name()
    print(f"backend {backend}, {args.clients} client threads")
    print(f"baseline GET /me:            {base_rps:8.1f} req/s  {dict(base_codes)}")
    print(f"accept (uncontested, {args.offers}): {acc_rps:8.1f} req/s  {dict(acc_codes)}")
    print(f"accept (contested, {contested} slots x2): {con_rps:8.1f} req/s  {dict(con_codes)}")
    print(f"accept / baseline: {acc_rps / base_rps:.2f}; double bookings: {doubles}")
    print("RESULT " + json.dumps({
        "bench": "accept", "backend": backend, "clients": args.clients, "offers": args.offers,
        "baseline_rps": round(base_rps, 1), "accept_rps": round(acc_rps, 1),
        "contested_rps": round(con_rps, 1), "ratio": round(acc_rps / base_rps, 3),
        "accept_codes": dict(acc_codes), "contested_codes": dict(con_codes), "double_bookings": doubles}))


if __name__ == "__main__":
    main()
