"""Match latency for one request at scale, on PostgreSQL.

Builds N experts (tertiary hospitals, specialties, partnerships) and future open slots in
bulk SQL, then times the candidate search + ranking for one routine request, first at the
smaller slot count, then after growing to the larger one. The baseline, measured in the
same run on the same connection, is a trivial `SELECT 1` round trip.

    .venv/bin/python bench/match.py --experts 20000 --slots 100000,1000000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_consults

The database's public schema is DROPPED and recreated: use a scratch database.
Ends with one line `RESULT {json}`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import empty_database  # noqa: E402

SPECIALTIES = 20
TERTIARY = 60
COUNTY = 200
SLOTS_PER_EXPERT_MAX = 50  # the largest size: slots / experts, at most this many
SPACING_HOURS = 28  # between one expert's slots: 50 slots cover ~58 days


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--experts", type=int, default=20000)
    p.add_argument("--slots", default="100000,1000000", help="comma-separated slot counts to measure at")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test_consults"))
    return p.parse_args()


def build_directory(conn, experts: int, now: datetime) -> None:
    q = [
        f"""INSERT INTO specialties (code, name_zh, name_en)
            SELECT 'spec_' || i, '专科' || i, 'Specialty ' || i FROM generate_series(1, {SPECIALTIES}) i""",
        f"""INSERT INTO hospitals (code, name, tier, region, timezone, latitude, longitude, created_at, updated_at)
            SELECT 'T-' || i, '三级医院' || i, 'tertiary', '北京市', 'Asia/Shanghai',
                   39.5 + (i % 10) * 0.05, 116.0 + (i / 10) * 0.05, :now, :now FROM generate_series(1, {TERTIARY}) i""",
        f"""INSERT INTO hospitals (code, name, tier, region, timezone, latitude, longitude, created_at, updated_at)
            SELECT 'C-' || i, '县医院' || i, 'grassroots', '河北省', 'Asia/Shanghai',
                   38.5 + (i % 20) * 0.05, 115.0 + (i / 20) * 0.05, :now, :now FROM generate_series(1, {COUNTY}) i""",
        f"""INSERT INTO users (email, display_name, role, hospital_id, password_hash, locale, is_active,
                               token_version, created_at, updated_at)
            SELECT 'e' || i || '@bench', 'Expert ' || i, 'expert', 1 + (i % {TERTIARY}), 'x', 'zh-CN', true, 1,
                   :now, :now FROM generate_series(1, {experts}) i""",
        """INSERT INTO expert_profiles (user_id, hospital_id, title, languages, accepts_remote, accepts_onsite,
                                        daily_cap, is_active, created_at, updated_at)
           SELECT id, hospital_id, 'chief_physician', '["zh-CN"]', true, (id % 3 = 0), 4, true, :now, :now
           FROM users WHERE role = 'expert'""",
        f"""INSERT INTO expert_specialties (expert_id, specialty_id)
            SELECT id, 1 + (id % {SPECIALTIES}) FROM expert_profiles""",
        f"""INSERT INTO partnerships (grassroots_hospital_id, tertiary_hospital_id, valid_from, valid_to,
                                      created_at, updated_at)
            SELECT {TERTIARY} + i, 1 + (i % {TERTIARY}), '2025-01-01', '2030-01-01', :now, :now
            FROM generate_series(1, {COUNTY}) i""",
        f"""INSERT INTO partnership_specialties (partnership_id, specialty_id)
            SELECT p.id, 1 + ((p.id + k) % {SPECIALTIES}) FROM partnerships p, generate_series(0, 2) k""",
    ]
    for stmt in q:
        conn.execute(sa.text(stmt), {"now": now})


def add_slots(conn, experts: int, total: int, have: int, start: datetime, now: datetime) -> int:
    """Grow to `total` slots: slot k of expert e, k in [have/experts, total/experts)."""
    k0, k1 = have // experts, min(total // experts, SLOTS_PER_EXPERT_MAX)
    if k1 <= k0:
        return have
    conn.execute(sa.text(f"""
        INSERT INTO slots (expert_id, starts_at, ends_at, mode, status, is_provisional, created_at, updated_at)
        SELECT e.id, s.t, s.t + interval '30 minutes', 'both', 'open', false, :now, :now
        FROM expert_profiles e,
             LATERAL (SELECT :start + make_interval(hours => k * {SPACING_HOURS})
                             + make_interval(mins => (e.id % 16) * 30) AS t
                      FROM generate_series({k0}, {k1 - 1}) k) s"""), {"start": start, "now": now})
    conn.execute(sa.text("ANALYZE"))
    return experts * k1


def make_request(app, start: datetime):
    from app.consults.models import ConsultationRequest, PreferredMode, RequestStatus, Urgency
    from app.extensions import db

    with app.app_context():
        conn = db.session.connection()
        doctor_id = conn.execute(sa.text(
            f"""INSERT INTO users (email, display_name, role, hospital_id, password_hash, locale, is_active,
                                   token_version, created_at, updated_at)
                VALUES ('doc@bench', 'Doctor', 'county_doctor', {TERTIARY + 1}, 'x', 'zh-CN', true, 1, now(), now())
                RETURNING id""")).scalar()
        req = ConsultationRequest(
            requester_id=doctor_id, hospital_id=TERTIARY + 1, specialty_id=2, urgency=Urgency.routine,
            preferred_mode=PreferredMode.either, clinical_question="bench", case_summary={}, patient_ref="BENCH-1",
            window_start=start, window_end=start + timedelta(days=3), status=RequestStatus.matching)
        db.session.add(req)
        db.session.commit()
        return req.id


def time_match(app, request_id: int, runs: int) -> dict:
    from app.consults.models import ConsultationRequest
    from app.extensions import db
    from app.matching import candidates

    times, found = [], 0
    with app.app_context():
        req = db.session.get(ConsultationRequest, request_id)
        for _ in range(runs):
            t = time.perf_counter()
            ranked = candidates.find(req)
            times.append((time.perf_counter() - t) * 1000)
            found = len(ranked)
        baseline = []
        for _ in range(runs):
            t = time.perf_counter()
            db.session.execute(sa.text("SELECT 1"))
            baseline.append((time.perf_counter() - t) * 1000)
        db.session.rollback()
    return {"match_ms_median": round(statistics.median(times), 2), "match_ms_min": round(min(times), 2),
            "candidates": found, "select1_ms_median": round(statistics.median(baseline), 3)}


def main() -> None:
    args = parse()
    from flask_migrate import upgrade

    from app import create_app

    sizes = [int(s) for s in args.slots.split(",")]
    empty_database(args.database_url)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=args.database_url)
    with app.app_context():
        upgrade()
    from app.extensions import db

    now = datetime.now(UTC)
    start = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    with app.app_context(), db.engine.begin() as conn:
        t = time.perf_counter()
        build_directory(conn, args.experts, now)
        print(f"directory: {args.experts} experts in {time.perf_counter() - t:.1f}s", flush=True)
    request_id = make_request(app, start + timedelta(days=1))
    results, have = [], 0
    for size in sizes:
        with app.app_context(), db.engine.begin() as conn:
            t = time.perf_counter()
            have = add_slots(conn, args.experts, size, have, start, now)
            print(f"slots: {have} (+{time.perf_counter() - t:.1f}s to generate)", flush=True)
        row = {"slots": have, **time_match(app, request_id, args.runs)}
        print(f"  match latency median {row['match_ms_median']} ms (min {row['match_ms_min']}),"
              f" {row['candidates']} candidates; baseline SELECT 1 {row['select1_ms_median']} ms", flush=True)
        results.append(row)
    growth = results[-1]["match_ms_median"] / results[0]["match_ms_median"] if len(results) > 1 else 1.0
    print(f"growth {results[0]['slots']} → {results[-1]['slots']} slots: x{growth:.2f}")
    print("RESULT " + json.dumps({"bench": "match", "experts": args.experts, "runs": args.runs,
                                  "sizes": results, "growth": round(growth, 2)}))


if __name__ == "__main__":
    main()
