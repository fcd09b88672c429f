"""Benchmark: materialising 8 weeks of slots for N experts, and searching open slots at
about M open slots.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/slots.py \
        --experts 2000 --open-slots 1000000

The target database is wiped (PostgreSQL: schema `public` dropped and recreated; SQLite:
the file deleted) and rebuilt from the migrations. Without DATABASE_URL a temporary
SQLite file is used.

Baselines, measured in the same run on the same data:
- materialisation vs. a raw copy of the same rows (`INSERT INTO … SELECT`), i.e. what
  the database alone needs to write them;
- search vs. a trivial indexed lookup (one slot by primary key) and an unfiltered count
  of open slots.

Prints figures and ends with one line `RESULT {json}`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402

from bench.common import empty_database  # noqa: E402

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
SPECIALTIES = 12
TERTIARY = 25
COUNTY = 40


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--experts", type=int, default=2000)
    p.add_argument("--open-slots", type=int, default=1_000_000, help="open slots to search among (topped up in SQL)")
    p.add_argument("--searches", type=int, default=60, help="searches per query shape")
    p.add_argument("--seed", type=int, default=7)
    return p.parse_args()


def make_app():
    from app import create_app
    from app.core.clock import ManualClock

    url = os.environ.get("DATABASE_URL") or "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench-slots.db")
    empty_database(url)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    app.extensions["clock"] = ManualClock(T0)
    return app, url


def build_directory(n_experts: int, rnd: random.Random) -> dict:
    """Hospitals, specialties, partnerships, experts and one weekday rule per expert, in bulk."""
    from app.accounts.models import Role, User
    from app.directory.models import (
        ExpertProfile,
        ExpertTitle,
        Hospital,
        Partnership,
        Specialty,
        Tier,
        expert_specialties,
        partnership_specialties,
    )
    from app.extensions import db
    from app.rosters.models import RosterRule, SlotMode

    def bulk(model, rows):
        db.session.execute(sa.insert(model), rows)

    bulk(Specialty, [{"code": f"spec_{i}", "name_zh": f"科{i}", "name_en": f"Spec {i}"} for i in range(SPECIALTIES)])
    hospitals = [{"code": f"T-{i}", "name": f"三甲 {i}", "tier": Tier.tertiary, "region": "北京市",
                  "timezone": "Asia/Shanghai", "latitude": 39.9, "longitude": 116.4} for i in range(TERTIARY)]
    hospitals += [{"code": f"C-{i}", "name": f"县医院 {i}", "tier": Tier.grassroots, "region": "河北省",
                   "timezone": "Asia/Shanghai", "latitude": 38.9, "longitude": 115.5} for i in range(COUNTY)]
    bulk(Hospital, hospitals)
    spec_ids = db.session.scalars(sa.select(Specialty.id).order_by(Specialty.id)).all()
    tert_ids = db.session.scalars(sa.select(Hospital.id).where(Hospital.tier == Tier.tertiary)).all()
    county_ids = db.session.scalars(sa.select(Hospital.id).where(Hospital.tier == Tier.grassroots)).all()
    bulk(User, [{"email": f"e{i}@bench.test", "display_name": f"专家 {i}", "role": Role.expert,
                 "hospital_id": tert_ids[i % TERTIARY], "password_hash": "x"} for i in range(n_experts)]
         + [{"email": "admin@bench.test", "display_name": "admin", "role": Role.admin,
             "hospital_id": tert_ids[0], "password_hash": "x"}])
    users = db.session.execute(sa.select(User.id, User.hospital_id).where(User.role == Role.expert)).all()
    bulk(ExpertProfile, [{"user_id": uid, "hospital_id": hid, "title": ExpertTitle.chief_physician,
                          "accepts_remote": True, "accepts_onsite": True} for uid, hid in users])
    experts = db.session.scalars(sa.select(ExpertProfile.id)).all()
    db.session.execute(sa.insert(expert_specialties), [
        {"expert_id": e, "specialty_id": s} for e in experts for s in rnd.sample(spec_ids, 2)])
    bulk(Partnership, [{"grassroots_hospital_id": c, "tertiary_hospital_id": tert_ids[i % TERTIARY],
                        "valid_from": date(2025, 1, 1), "valid_to": date(2029, 1, 1)}
                       for i, c in enumerate(county_ids)])
    partnerships = db.session.scalars(sa.select(Partnership.id)).all()
    db.session.execute(sa.insert(partnership_specialties), [
        {"partnership_id": p, "specialty_id": s} for p in partnerships for s in rnd.sample(spec_ids, 3)])
    # Mon-Fri mornings, 30-minute slots, following the official calendar (2027 falls back).
    bulk(RosterRule, [{"expert_id": e, "weekdays": 0b11111, "start_time": dtime(8), "end_time": dtime(12),
                       "slot_minutes": 30, "mode": rnd.choice(list(SlotMode)), "valid_from": date(2026, 1, 1),
                       "follows_official_calendar": True} for e in experts])
    db.session.commit()
    admin = db.session.scalar(sa.select(User).where(User.role == Role.admin))
    return {"experts": experts, "hospitals": tert_ids, "partnerships": partnerships, "admin": admin}


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def bench_materialise() -> dict:
    from app.extensions import db
    from app.rosters import jobs

    summary, seconds = timed(jobs.roll_rosters_forward)
    again, seconds_again = timed(jobs.roll_rosters_forward)

    def raw_copy():
        db.session.execute(sa.text("CREATE TABLE bench_slot_copy AS SELECT * FROM slots WHERE 1 = 0"))
        db.session.execute(sa.text("INSERT INTO bench_slot_copy SELECT * FROM slots"))
        db.session.commit()

    _, seconds_copy = timed(raw_copy)
    db.session.execute(sa.text("DROP TABLE bench_slot_copy"))
    db.session.commit()
    return {"experts": summary["experts"], "slots_created": summary["slots_created"],
            "seconds": round(seconds, 3), "slots_per_second": round(summary["slots_created"] / seconds),
            "second_run_created": again["slots_created"], "second_run_seconds": round(seconds_again, 3),
            "baseline_raw_copy_seconds": round(seconds_copy, 3)}


def top_up_open_slots(target: int, n_experts: int) -> int:
    """Bulk SQL: afternoon slots (05:00-10:00 UTC) per expert until about `target` open
    slots exist. A few percent are booked or blocked, as in real life."""
    from app.extensions import db
    from app.rosters.models import Slot

    count = db.session.scalar(sa.select(sa.func.count()).select_from(Slot))
    per_expert = max(0, (target - count) // max(n_experts, 1))
    if per_expert == 0:
        return count
    postgres = db.engine.dialect.name == "postgresql"
    base = "'2026-11-25 05:00:00+00'::timestamptz" if postgres else "'2026-11-25 05:00:00'"
    if postgres:
        start = f"{base} + (n.k / 10) * interval '1 day' + (n.k % 10) * interval '30 minutes'"
        end = f"{start} + interval '30 minutes'"
        now_ = "now()"
    else:
        offset = "((n.k / 10) * 1440 + (n.k % 10) * 30)"
        start = f"strftime('%Y-%m-%d %H:%M:%S.000000', {base}, '+' || {offset} || ' minutes')"
        end = f"strftime('%Y-%m-%d %H:%M:%S.000000', {base}, '+' || ({offset} + 30) || ' minutes')"
        now_ = "CURRENT_TIMESTAMP"
    status = "CASE WHEN (e.id + n.k) % 29 = 0 THEN 'booked' WHEN (e.id + n.k) % 31 = 0 THEN 'blocked' ELSE 'open' END"
    mode = "CASE (e.id + n.k) % 3 WHEN 0 THEN 'remote' WHEN 1 THEN 'onsite' ELSE 'both' END"
    db.session.execute(sa.text(f"""
        WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < {per_expert - 1})
        INSERT INTO slots (expert_id, starts_at, ends_at, mode, status, is_provisional, created_at, updated_at)
        SELECT e.id, {start}, {end}, {mode}, {status}, false, {now_}, {now_}
        FROM expert_profiles e CROSS JOIN n
        WHERE true  -- SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT
        ON CONFLICT (expert_id, starts_at) DO NOTHING"""))
    db.session.commit()
    if postgres:
        db.session.execute(sa.text("ANALYZE slots"))
        db.session.commit()
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Slot).where(Slot.status == "open"))


def _ms(samples: list[float]) -> dict:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return {"p50_ms": round(statistics.median(samples) * 1000, 2), "p95_ms": round(p95 * 1000, 2)}


def bench_search(ctx: dict, searches: int, rnd: random.Random) -> dict:
    from app.core.pagination import paginate
    from app.extensions import db
    from app.rosters import service
    from app.rosters.models import Slot

    admin = ctx["admin"]

    def window():
        start = T0 + timedelta(days=rnd.randint(0, 40), hours=rnd.randint(0, 23))
        return {"starts_after": start, "starts_before": start + timedelta(days=rnd.choice([1, 3, 7]))}

    shapes = {
        "specialty_mode_window": lambda: {"specialty": f"spec_{rnd.randrange(SPECIALTIES)}",
                                          "mode": rnd.choice(["remote", "onsite"]), **window()},
        "partnership_window": lambda: {"partnership_id": rnd.choice(ctx["partnerships"]), **window()},
        "hospital_specialty_default_window": lambda: {"hospital_id": rnd.choice(ctx["hospitals"]),
                                                      "specialty": f"spec_{rnd.randrange(SPECIALTIES)}"},
    }
    out = {}
    for name, make_args in shapes.items():
        samples, totals = [], []
        for _ in range(searches):
            args = {**make_args(), "page": 1, "per_page": 20}
            page, seconds = timed(lambda a=args: paginate(service.search_slots_stmt(admin, a), a))
            samples.append(seconds)
            totals.append(page["total"])
            db.session.rollback()
        out[name] = {**_ms(samples), "mean_matches": round(statistics.mean(totals))}
    max_id = db.session.scalar(sa.select(sa.func.max(Slot.id)))
    lookups = [timed(lambda: db.session.get(Slot, rnd.randint(1, max_id), populate_existing=True))[1]
               for _ in range(searches)]
    counts = [timed(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Slot)
                                              .where(Slot.status == "open")))[1] for _ in range(5)]
    out["baseline_slot_by_id"] = _ms(lookups)
    out["baseline_count_open"] = _ms(counts)
    out["plan_specialty_mode_window"] = _plan(admin, shapes["specialty_mode_window"]())
    return out


def _plan(admin, args) -> str:
    from app.extensions import db
    from app.rosters import service

    stmt = service.search_slots_stmt(admin, args).limit(20)
    compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN" if db.engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"
    rows = db.session.execute(sa.text(f"{prefix} {compiled}")).all()
    db.session.rollback()
    return " | ".join(str(r[-1]).strip() for r in rows)


def main():
    args = parse_args()
    rnd = random.Random(args.seed)
    app, url = make_app()
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        from app.extensions import db

        print(f"database: {db.engine.dialect.name}  experts: {args.experts}  target open slots: {args.open_slots}")
        ctx, setup_s = timed(lambda: build_directory(args.experts, rnd))
        print(f"directory built in {setup_s:.1f}s")
        mat = bench_materialise()
        print(f"materialise: {mat['slots_created']} slots for {mat['experts']} experts in {mat['seconds']}s "
              f"({mat['slots_per_second']}/s); second run created {mat['second_run_created']} in "
              f"{mat['second_run_seconds']}s; baseline raw copy of the same rows {mat['baseline_raw_copy_seconds']}s")
        open_slots, top_s = timed(lambda: top_up_open_slots(args.open_slots, args.experts))
        print(f"topped up to {open_slots} open slots in {top_s:.1f}s")
        search = bench_search(ctx, args.searches, rnd)
        for name, fig in search.items():
            print(f"search {name}: {fig}")
        result = {"database": db.engine.dialect.name, "experts": args.experts, "open_slots": open_slots,
                  "materialise": mat, "search": {k: v for k, v in search.items() if not k.startswith("plan")}}
    print("RESULT " + json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
