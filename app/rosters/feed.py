"""The private iCalendar feed of one expert: their bookings and open slots.

Events carry the hospital's time zone (TZID plus a VTIMEZONE, so phone calendars show
local time correctly across a daylight-saving change); DTSTAMP is UTC. No patient data
goes into a feed: a subscribed calendar leaves the hospital's control.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import icalendar
import sqlalchemy as sa
from flask import current_app

from app.bookings.models import Booking, BookingStatus
from app.core.clock import now
from app.directory.models import ExpertProfile
from app.extensions import db
from app.rosters import materialise as mat
from app.rosters.models import Slot, SlotStatus

PRODID = "-//Huizhen 会诊//Roster feed//ZH"
LIVE = (BookingStatus.scheduled, BookingStatus.in_progress, BookingStatus.completed)


def build_feed(expert: ExpertProfile, host: str) -> bytes:
    zone = ZoneInfo(expert.hospital.timezone)
    moment = now()
    start = moment - timedelta(days=current_app.config["ROSTER_FEED_PAST_DAYS"])
    end = moment + timedelta(days=mat.horizon_days() + 1)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"会诊 Huizhen · {expert.user.display_name}")
    cal.add("x-wr-timezone", expert.hospital.timezone)
    for booking in _bookings(expert.id, start, end):
        cal.add_component(_event(f"booking-{booking.id}@{host}", booking.starts_at, booking.ends_at, zone, moment,
                                 f"会诊 Consultation ({booking.mode.name})", f"Booking {booking.id}", "CONFIRMED"))
    for slot in _open_slots(expert.id, moment, end):
        cal.add_component(_event(f"slot-{slot.id}@{host}", slot.starts_at, slot.ends_at, zone, moment,
                                 f"Open slot ({slot.mode.name})", "Bookable; not yet booked.", "TENTATIVE",
                                 transparent=True))
    cal.add_missing_timezones()
    return cal.to_ical()


def _event(uid, starts_at, ends_at, zone, stamp, summary, description, status, transparent=False):
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", starts_at.astimezone(zone))
    event.add("dtend", ends_at.astimezone(zone))
    event.add("summary", summary)
    event.add("description", description)
    event.add("status", status)
    event.add("transp", "TRANSPARENT" if transparent else "OPAQUE")
    return event


def _bookings(expert_id: int, start, end) -> list[Booking]:
    return list(db.session.scalars(sa.select(Booking).where(
        Booking.expert_id == expert_id, Booking.status.in_(LIVE),
        Booking.starts_at >= start, Booking.starts_at < end).order_by(Booking.starts_at)))


def _open_slots(expert_id: int, start, end) -> list[Slot]:
    return list(db.session.scalars(sa.select(Slot).where(
        Slot.expert_id == expert_id, Slot.status == SlotStatus.open,
        Slot.starts_at >= start, Slot.starts_at < end).order_by(Slot.starts_at)))
