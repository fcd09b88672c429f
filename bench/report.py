"""Evaluation over many bookings on PostgreSQL.

Bulk-generates N requests, offers, slots and bookings (plus outcomes, referrals and
out-calls) with INSERT ... SELECT generate_series into the database of DATABASE_URL (it is
EMPTIED first: use a database of your own), then times the evaluation queries against a
baseline measured in the same run: a plain COUNT(*) over the same bookings.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test_outcomes \\
        .venv/bin/python bench/report.py --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Experts are a multiple of TERTIARY; request i goes to expert 1 + i % experts (of hospital
# 1 + i % TERTIARY) from county 1 + (i / 20) % COUNTY, so about one in ten sessions is
# in-partnership, and statuses (cut by i % 20) are spread evenly over hospitals.
TERTIARY, COUNTY, SPECIALTIES = 10, 40, 4
TWO_YEARS = 730 * 86400


def main() -> None:
    args = _args()
    from app import create_app
    from app.extensions import db

    app = create_app("development", SQLALCHEMY_DATABASE_URI=args.database_url)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            sys.exit("bench/report.py needs PostgreSQL (set DATABASE_URL)")
        from flask_migrate import upgrade

        upgrade()
        load_seconds = _load(db, args.rows, args.experts) if not args.reuse else 0.0
        results = _measure(db, args.repeat)
    results.update(rows=args.rows, experts=args.experts, load_seconds=round(load_seconds, 1))
    print("RESULT " + json.dumps(results, sort_keys=True))


def _args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="bookings (and requests, offers, slots)")
    parser.add_argument("--experts", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per query (the median is kept)")
    parser.add_argument("--reuse", action="store_true", help="keep the rows of a previous run")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()
    # Sessions of one expert must not overlap: consecutive ones are experts*step seconds apart.
    if args.experts * TWO_YEARS / args.rows < 12_600:
        parser.error("too few experts for that many rows (need experts * 730 days / rows >= 3.5 h)")
    return args


# --- data --------------------------------------------------------------------------------

def _load(db, n: int, experts: int) -> float:
    started = time.perf_counter()
    with db.engine.begin() as conn:
        tables = ", ".join(t.name for t in db.metadata.sorted_tables)
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        for label, sql in _statements(n, experts):
            t0 = time.perf_counter()
            conn.execute(sa.text(sql))
            print(f"  loaded {label:<24} {time.perf_counter() - t0:7.1f} s", flush=True)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))
    elapsed = time.perf_counter() - started
    print(f"loaded {n} bookings in {elapsed:.1f} s")
    return elapsed


def _statements(n: int, experts: int):
    t, g, s, e = TERTIARY, COUNTY, SPECIALTIES, experts
    step = TWO_YEARS / n
    ts = "now(), now()"
    created = f"timestamptz '2024-01-01 00:00+00' + (i * {step}) * interval '1 second'"
    # A wait of 1 day to ~3.8 h more, varied but below the gap between one expert's sessions.
    starts = f"{created} + interval '1 day' + ((i::bigint * 7919) % 10000) * interval '1 second'"
    yield "hospitals", f"""INSERT INTO hospitals (id, code, name, tier, region, timezone, latitude, longitude,
        created_at, updated_at) SELECT i, 'B-' || i, 'Hospital ' || i,
        CASE WHEN i <= {t} THEN 'tertiary' ELSE 'grassroots' END, 'bench', 'Asia/Shanghai', 30, 110, {ts}
        FROM generate_series(1, {t + g}) i"""
    yield "specialties", f"""INSERT INTO specialties (id, code, name_zh, name_en)
        SELECT i, 'bench_' || i, 'spec ' || i, 'spec ' || i FROM generate_series(1, {s}) i"""
    yield "partnerships", f"""INSERT INTO partnerships (id, grassroots_hospital_id, tertiary_hospital_id,
        valid_from, valid_to, created_at, updated_at)
        SELECT i, {t} + i, 1 + (i - 1) % {t}, '2023-01-01', '2028-01-01', {ts} FROM generate_series(1, {g}) i;
        INSERT INTO partnership_specialties SELECT i, 1 + i % {s} FROM generate_series(1, {g}) i;
        INSERT INTO partnership_specialties SELECT i, 1 + (i + 1) % {s} FROM generate_series(1, {g}) i"""
    yield "users", f"""INSERT INTO users (id, email, display_name, role, hospital_id, password_hash, locale,
        is_active, token_version, created_at, updated_at)
        SELECT i, 'u' || i || '@bench.test', 'User ' || i,
        CASE WHEN i <= {e} THEN 'expert' ELSE 'county_doctor' END,
        CASE WHEN i <= {e} THEN 1 + (i - 1) % {t} ELSE {t} + i - {e} END, 'x', 'zh-CN', true, 1, {ts}
        FROM generate_series(1, {e + g}) i"""
    yield "expert_profiles", f"""INSERT INTO expert_profiles (id, user_id, hospital_id, title, languages,
        accepts_remote, accepts_onsite, daily_cap, is_active, created_at, updated_at)
        SELECT i, i, 1 + (i - 1) % {t}, 'chief_physician', '["zh-CN"]', true, true, 20, true, {ts}
        FROM generate_series(1, {e}) i"""
    yield "consultation_requests", f"""INSERT INTO consultation_requests (id, requester_id, hospital_id,
        specialty_id, urgency, preferred_mode, clinical_question, case_summary, patient_ref, window_start,
        window_end, status, created_at, updated_at)
        SELECT i, {e} + 1 + (i / 20) % {g}, {t} + 1 + (i / 20) % {g}, 1 + (i / 7) % {s}, 'routine', 'either',
        'q', '{{}}', 'P-' || i, {created}, {created} + interval '7 days', 'completed', {created}, {created}
        FROM generate_series(1, {n}) i"""
    yield "slots", f"""INSERT INTO slots (id, expert_id, starts_at, ends_at, mode, status, is_provisional,
        created_at, updated_at) SELECT i, 1 + i % {e}, {starts}, {starts} + interval '30 minutes', 'both',
        'booked', false, {ts} FROM generate_series(1, {n}) i"""
    yield "offers", f"""INSERT INTO offers (id, request_id, expert_id, slot_id, status, score, score_parts, rank,
        is_in_network, is_manual, deadline_at, responded_at, created_at, updated_at)
        SELECT i, i, 1 + i % {e}, i,
        CASE WHEN i % 10 < 8 THEN 'accepted' WHEN i % 10 = 8 THEN 'declined' ELSE 'expired' END,
        0, '{{}}', 1, true, false, {created} + interval '2 hours',
        CASE WHEN i % 10 < 9 THEN {created} + interval '1 minute' + ((i * 37) % 7200) * interval '1 second' END,
        {created} + interval '1 minute', now() FROM generate_series(1, {n}) i"""
    yield "bookings", f"""INSERT INTO bookings (id, request_id, expert_id, slot_id, offer_id, mode, starts_at,
        ends_at, status, no_show_side, created_at, updated_at)
        SELECT i, i, 1 + i % {e}, i, i, CASE WHEN i % 5 = 0 THEN 'onsite' ELSE 'remote' END,
        {starts}, {starts} + interval '30 minutes',
        CASE i % 20 WHEN 0 THEN 'no_show' WHEN 1 THEN 'cancelled' WHEN 2 THEN 'scheduled' ELSE 'completed' END,
        CASE WHEN i % 20 = 0 THEN (CASE WHEN i % 40 = 0 THEN 'expert' ELSE 'requester' END) END, {ts}
        FROM generate_series(1, {n}) i"""
    yield "outcomes", f"""INSERT INTO outcomes (id, booking_id, recorded_by_id, advice, disposition,
        duration_minutes, version, requester_rating, preparation_rating, created_at, updated_at)
        SELECT i, i, 1 + i % {e}, 'advice',
        (ARRAY['manage_locally', 'refer_up', 'follow_up', 'onsite_visit'])[1 + (i::bigint * 48271 % 65537) % 4],
        20 + i % 30, 1,
        CASE WHEN i % 3 <> 0 THEN 1 + (i * 7) % 5 END, CASE WHEN i % 2 = 0 THEN 1 + (i * 3) % 5 END, {ts}
        FROM generate_series(1, {n}) i WHERE i % 20 > 2"""
    yield "referrals", f"""INSERT INTO referrals (request_id, outcome_id, direction, from_hospital_id,
        to_hospital_id, status, details, created_at, updated_at)
        SELECT o.id, o.id, 'up', {t} + 1 + (o.id / 20) % {g}, 1 + o.id % {t},
        (ARRAY['proposed', 'accepted', 'completed', 'declined'])[1 + o.id % 4], '{{}}', b.starts_at, b.starts_at
        FROM outcomes o JOIN bookings b ON b.id = o.booking_id WHERE o.disposition = 'refer_up';
        INSERT INTO referrals (request_id, outcome_id, direction, from_hospital_id, to_hospital_id, status,
        details, created_at, updated_at)
        SELECT o.id, o.id, 'down', 1 + o.id % {t}, {t} + 1 + (o.id / 20) % {g}, 'completed', '{{}}',
        b.starts_at + interval '10 days', b.starts_at + interval '10 days'
        FROM outcomes o JOIN bookings b ON b.id = o.booking_id WHERE o.disposition = 'refer_up' AND o.id % 3 = 0"""
    yield "out_calls", """INSERT INTO out_calls (expert_id, hospital_id, day, travel_minutes, status,
        created_at, updated_at)
        SELECT DISTINCT b.expert_id, r.hospital_id, (b.starts_at AT TIME ZONE 'Asia/Shanghai')::date, 90, 'done',
        now(), now() FROM bookings b JOIN consultation_requests r ON r.id = b.request_id
        WHERE b.mode = 'onsite' AND b.status = 'completed'"""


# --- measurements ------------------------------------------------------------------------

def _timed(fn, repeat: int):
    times, value = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), value


def _measure(db, repeat: int) -> dict:
    from app.directory.models import ExpertProfile, Partnership
    from app.evaluation import service
    from app.evaluation.service import Period, Scope
    from app.matching.models import Offer, OfferStatus

    whole, year = Period(date(2024, 1, 1), date(2026, 1, 31)), Period(date(2025, 1, 1), date(2025, 12, 31))
    lo, hi = whole.bounds()
    partnership, expert = db.session.get(Partnership, 1), db.session.get(ExpertProfile, 1)
    baseline_sql = sa.text("SELECT count(*) FROM bookings WHERE starts_at >= :lo AND starts_at < :hi")
    accept = (sa.select(service.seconds_between(Offer.responded_at, Offer.created_at).label("v"))
              .where(Offer.status == OfferStatus.accepted))
    cases = {
        "baseline_count_bookings": lambda: db.session.scalar(baseline_sql, {"lo": lo, "hi": hi}),
        "figures_all": lambda: service.figures(Scope(), whole),
        "figures_partnership": lambda: service.figures(Scope(partnership=partnership), whole),
        "figures_expert": lambda: service.figures(Scope(expert=expert), whole),
        "figures_hospital": lambda: service.figures(Scope(hospital_id=1), whole),
        "programme_report_12_months": lambda: service.programme_report(partnership, year),
        "median_percentile_cont": lambda: service.median(accept),
        "median_portable_window": lambda: service.portable_median(accept),
    }
    timings, values = {}, {}
    for name, fn in cases.items():
        seconds, values[name] = _timed(fn, repeat)
        timings[name] = round(seconds, 3)
        print(f"{name:<28} {seconds * 1000:9.1f} ms")
        db.session.rollback()
    _print_figures(values)
    base = timings["baseline_count_bookings"]
    return {"seconds": timings, "vs_baseline": {k: round(v / base, 1) for k, v in timings.items() if base},
            "bookings_in_period": values["baseline_count_bookings"],
            "sessions_completed": values["figures_all"]["sessions"]["completed"],
            "median_seconds_to_accept": values["figures_all"]["offers"]["median_seconds_to_accept"],
            "medians_agree": values["median_percentile_cont"] == values["median_portable_window"]}


def _print_figures(values: dict) -> None:
    f = values["figures_all"]
    print(f"bookings in period {values['baseline_count_bookings']}; requests {f['requests_received']}; "
          f"offers {f['offers']}; sessions {f['sessions']}")
    print(f"ratings {f['ratings']}; referrals {f['referrals']}; out-calls {f['out_calls']['made']}")
    print(f"programme (partnership 1, 2025) total {values['programme_report_12_months']['total']}")
    print(f"median time to accept: percentile_cont {values['median_percentile_cont']} s, "
          f"portable window {values['median_portable_window']} s")


if __name__ == "__main__":
    main()
