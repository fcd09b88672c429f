from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.rosters import service
from app.rosters.models import RosterRule, Slot, SlotMode
from app.rosters.schemas import weekdays_to_mask


def add_rule(expert, days=("mon", "tue", "wed", "thu", "fri"), start="09:00", end="11:00", **kw) -> RosterRule:
    """A rule straight through the service (as the command line adds them), not materialised."""
    data = dict(weekdays=weekdays_to_mask(days), start_time=time.fromisoformat(start),
                end_time=time.fromisoformat(end), slot_minutes=30, mode=SlotMode.remote,
                valid_from=date(2026, 1, 1), valid_to=None, follows_official_calendar=True)
    return service.add_rule(None, expert, {**data, **kw})


def slots_of(expert, day_utc_from=None, day_utc_to=None) -> list[Slot]:
    stmt = sa.select(Slot).where(Slot.expert_id == expert.id).order_by(Slot.starts_at)
    if day_utc_from:
        stmt = stmt.where(Slot.starts_at >= day_utc_from)
    if day_utc_to:
        stmt = stmt.where(Slot.starts_at < day_utc_to)
    return list(db.session.scalars(stmt))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def beijing(make):
    return make.hospital(timezone="Asia/Shanghai")


@pytest.fixture
def new_york(make):
    return make.hospital(timezone="America/New_York", region="New York", latitude=40.7, longitude=-74.0)
