"""Reminders and overdue flags: exactly once, across restarts and concurrent sweeps, driven
by the ManualClock."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from app.accounts.models import Role
from app.bookings import jobs
from app.bookings.models import Booking, BookingStatus, SentReminder
from app.core import scheduler
from app.extensions import db
from app.notifications.models import Notification
from tests.conftest import T0


def _booking(make, starts_at, minutes=30, **kw):
    expert = make.expert()
    return make.booking(make.slot(expert, starts_at=starts_at, minutes=minutes), **kw)


def _notes(type_):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Notification).where(Notification.type == type_)
                                   .order_by(Notification.id)))


def _participants(booking):
    return {booking.expert.user_id, booking.request.requester_id}


def _in_threads(app, fn, count=2):
    """Run `fn` in `count` threads at once, each in its own app context (own session)."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        with app.app_context():
            barrier.wait()
            try:
                results.append(fn())
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    return results


def test_reminders_go_out_at_each_offset_once_each(app, make, clock):
    booking = _booking(make, T0 + timedelta(days=2))
    db.session.commit()
    assert jobs.send_due_reminders() == {"reminded": 0}

    clock.set(booking.starts_at - timedelta(hours=24))
    assert jobs.send_due_reminders() == {"reminded": 1}
    assert jobs.send_due_reminders() == {"reminded": 0}
    clock.set(booking.starts_at - timedelta(minutes=14))
    assert jobs.send_due_reminders() == {"reminded": 1}
    assert jobs.send_due_reminders() == {"reminded": 0}

    notes = _notes("booking.reminder")
    assert [n.payload["minutes_before"] for n in notes] == [1440, 1440, 15, 15]
    assert {n.user_id for n in notes} == _participants(booking)


def test_reminder_due_during_a_restart_is_sent_after_the_restart_once(app, make, clock):
    booking = _booking(make, T0 + timedelta(days=2))
    participants, booking_id = _participants(booking), booking.id
    db.session.commit()
    jobs.send_due_reminders()  # the process runs, nothing due yet
    # ...then is down while both reminder times pass; it restarts 10 minutes before.
    clock.set(T0 + timedelta(days=2) - timedelta(minutes=10))

    done = threading.Event()
    restarted = scheduler.build(app)
    restarted.add_listener(lambda e: e.job_id == "bookings.send_due_reminders" and done.set(),
                           mask=scheduler_events())
    restarted.start()
    try:
        assert done.wait(10), "the restarted scheduler did not run the reminder sweep"
    finally:
        restarted.shutdown(wait=True)

    notes = _notes("booking.reminder")
    assert {n.user_id for n in notes} == participants and len(notes) == 2
    assert {n.payload["minutes_before"] for n in notes} == {15}
    assert notes[0].payload["minutes_left"] == 10
    kinds = set(db.session.scalars(sa.select(SentReminder.kind).where(SentReminder.booking_id == booking_id)))
    assert kinds == {"before_1440m", "before_15m"}
    assert jobs.send_due_reminders() == {"reminded": 0}


def scheduler_events():
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

    return EVENT_JOB_EXECUTED | EVENT_JOB_ERROR


def test_reminders_are_sent_once_when_two_sweeps_run_concurrently(app, make, clock):
    starts = [T0 + timedelta(minutes=10), T0 + timedelta(hours=5), T0 + timedelta(hours=30)]
    bookings = [_booking(make, at) for at in starts]
    db.session.commit()
    results = _in_threads(app, jobs.send_due_reminders)
    assert sum(r["reminded"] for r in results) == 2  # the first two are within 24 hours
    clock.set(T0 + timedelta(hours=6))  # the third's 24-hour reminder is due now
    results = _in_threads(app, jobs.send_due_reminders)
    assert sum(r["reminded"] for r in results) == 1
    notes = _notes("booking.reminder")
    assert len(notes) == 2 * len(bookings)
    per_user = [(n.user_id, n.payload["booking_id"]) for n in notes]
    assert len(set(per_user)) == len(per_user)


def test_no_reminder_for_sessions_started_or_cancelled(app, make, clock):
    _booking(make, T0 - timedelta(minutes=5))
    _booking(make, T0 + timedelta(minutes=10), status=BookingStatus.cancelled)
    db.session.commit()
    assert jobs.send_due_reminders() == {"reminded": 0}


def test_reminder_offsets_come_from_settings(app, make, clock):
    booking = _booking(make, T0 + timedelta(minutes=50))
    db.session.commit()
    app.config["REMINDER_OFFSETS_MINUTES"] = [60]
    try:
        assert jobs.send_due_reminders() == {"reminded": 1}
    finally:
        app.config["REMINDER_OFFSETS_MINUTES"] = [24 * 60, 15]
    assert _notes("booking.reminder")[0].payload == {
        **_notes("booking.reminder")[0].payload, "booking_id": booking.id, "minutes_before": 60}


def test_session_past_its_end_without_outcome_is_flagged_to_schedulers_once(app, make, clock):
    booking = _booking(make, T0 - timedelta(hours=2))
    expert_side = make.user(Role.scheduler, hospital=booking.expert.hospital)
    county_side = make.user(Role.scheduler, hospital=booking.request.hospital)
    make.user(Role.scheduler)  # another hospital's scheduler hears nothing
    recent = _booking(make, T0 - timedelta(minutes=40))  # ended 10 minutes ago: within grace
    db.session.commit()

    results = _in_threads(app, jobs.flag_overdue_sessions)
    assert sum(r["flagged"] for r in results) == 1
    assert jobs.flag_overdue_sessions() == {"flagged": 0}

    notes = _notes("booking.overdue_without_outcome")
    assert sorted(n.user_id for n in notes) == sorted([expert_side.id, county_side.id])
    assert notes[0].payload["booking_id"] == booking.id
    assert db.session.get(Booking, booking.id).overdue_flagged_at == T0
    assert db.session.get(Booking, recent.id).overdue_flagged_at is None
    assert [n.user_id for n in _notes("outcome.due")] == [booking.expert.user_id]


def test_completed_session_without_outcome_is_flagged_and_later_ones_when_due(app, make, clock):
    completed = _booking(make, T0 - timedelta(hours=1), status=BookingStatus.completed)
    recorded = _booking(make, T0 - timedelta(hours=2), status=BookingStatus.completed)
    make.outcome(recorded)
    later = _booking(make, T0 - timedelta(minutes=15))  # ends 15 minutes from now
    db.session.commit()

    assert jobs.flag_overdue_sessions() == {"flagged": 1}
    assert [n.payload["booking_id"] for n in _notes("outcome.due")] == [completed.id]

    clock.advance(minutes=50)  # `later` is now 35 minutes past its end
    assert jobs.flag_overdue_sessions() == {"flagged": 1}
    assert db.session.get(Booking, later.id).overdue_flagged_at is not None


def test_session_with_an_outcome_is_not_flagged(app, make, clock):
    from app.outcomes.models import Disposition, Outcome

    booking = _booking(make, T0 - timedelta(hours=2))
    db.session.add(Outcome(booking_id=booking.id, recorded_by_id=booking.expert.user_id, advice="ok",
                           disposition=Disposition.manage_locally))
    db.session.commit()
    assert jobs.flag_overdue_sessions() == {"flagged": 0}
