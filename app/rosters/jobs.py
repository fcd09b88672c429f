"""Time-driven roster work: keep the slot horizon filled as the days go by."""

from __future__ import annotations

from app.extensions import db
from app.rosters import service


def roll_rosters_forward() -> dict:
    """Materialise every active rule up to the horizon. Idempotent and safe to run
    concurrently: existing slots are skipped and the unique (expert, start) key makes a
    concurrent insert of the same slot a no-op."""
    summary = service.materialise_all()
    db.session.commit()
    return summary


JOBS = [("rosters.roll_rosters_forward", roll_rosters_forward, {"trigger": "cron", "hour": 1, "minute": 30})]
