from datetime import UTC, datetime

import sqlalchemy as sa

from app.bookings.models import BookingStatus
from app.extensions import db
from app.notifications.models import Notification
from app.outcomes.jobs import flag_overdue_outcomes


def test_expert_is_reminded_once_of_a_session_without_outcome(make, clock):
    expert = make.expert()
    ended = make.booking(make.slot(expert, starts_at=datetime(2026, 11, 24, 1, 0, tzinfo=UTC)),
                         status=BookingStatus.completed)  # ended 01:30
    recorded = make.booking(make.slot(expert, starts_at=datetime(2026, 11, 24, 0, 0, tzinfo=UTC)),
                            status=BookingStatus.completed)
    make.outcome(recorded)
    make.booking(make.slot(expert, starts_at=datetime(2026, 11, 24, 1, 45, tzinfo=UTC)))  # ends 02:15
    db.session.commit()

    first, second = flag_overdue_outcomes(), flag_overdue_outcomes()

    assert first == {"flagged": 1} and second == {"flagged": 0}
    reminders = db.session.scalars(sa.select(Notification).where(Notification.type == "outcome.due")).all()
    assert [(n.user_id, n.payload["booking_id"]) for n in reminders] == [(expert.user_id, ended.id)]
    clock.set(datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    assert flag_overdue_outcomes() == {"flagged": 1}  # the 01:45 session, now 45 min past its end
