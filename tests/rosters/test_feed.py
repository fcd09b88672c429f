"""The private iCalendar feed: parses, correct instants and zones, revocable."""

from datetime import UTC

import icalendar
import sqlalchemy as sa

from app.accounts.models import Role
from app.extensions import db
from app.rosters.models import CalendarFeedToken
from app.rosters.slots import claim_slot
from tests.factories import token_headers
from tests.rosters.conftest import utc


def _events(body: bytes) -> dict:
    cal = icalendar.Calendar.from_ical(body)
    return {str(e["uid"]).split("@")[0]: e for e in cal.walk("VEVENT")}, cal


def test_feed_parses_with_booking_and_open_slots_in_utc_and_local_zone(client, make, new_york):
    expert = make.expert(hospital=new_york)
    booked, free = make.slot(expert, utc(2026, 11, 25, 14)), make.slot(expert, utc(2026, 11, 25, 15))
    claim_slot(booked.id)
    booking = make.booking(booked)
    headers = token_headers(expert.user)

    issued = client.post(f"/api/v1/experts/{expert.id}/calendar-feed", headers=headers).get_json()
    resp = client.get(issued["url"].replace("http://localhost", ""))

    events, cal = _events(resp.data)
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    assert set(events) == {f"booking-{booking.id}", f"slot-{free.id}"}
    start = events[f"booking-{booking.id}"].decoded("dtstart")
    assert start.astimezone(UTC) == utc(2026, 11, 25, 14)
    assert str(start.tzinfo) == "America/New_York" and start.hour == 9
    assert events[f"slot-{free.id}"].decoded("dtend").astimezone(UTC) == utc(2026, 11, 25, 15, 30)
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["America/New_York"]
    assert events[f"slot-{free.id}"].decoded("dtstamp").tzinfo is not None


def test_revoked_rotated_and_unknown_tokens_get_404(client, make, beijing):
    expert = make.expert(hospital=beijing)
    scheduler = token_headers(make.user(Role.scheduler, hospital=beijing))

    old = client.post(f"/api/v1/experts/{expert.id}/calendar-feed", headers=scheduler).get_json()["token"]
    new = client.post(f"/api/v1/experts/{expert.id}/calendar-feed", headers=scheduler).get_json()["token"]
    rotated = client.get(f"/api/v1/calendar-feeds/{old}.ics")
    working = client.get(f"/api/v1/calendar-feeds/{new}.ics")
    revoked = client.delete(f"/api/v1/experts/{expert.id}/calendar-feed", headers=scheduler)
    after = client.get(f"/api/v1/calendar-feeds/{new}.ics")

    assert rotated.status_code == 404 and working.status_code == 200
    assert revoked.status_code == 204 and after.status_code == 404
    assert client.get("/api/v1/calendar-feeds/not-a-token.ics").status_code == 404


def test_only_a_hash_of_the_token_is_stored(client, make, beijing):
    expert = make.expert(hospital=beijing)
    token = client.post(f"/api/v1/experts/{expert.id}/calendar-feed",
                        headers=token_headers(expert.user)).get_json()["token"]

    stored = db.session.scalars(sa.select(CalendarFeedToken.token_hash)).all()

    assert len(token) >= 40 and len(stored) == 1 and token not in stored[0]


def test_feed_of_a_deactivated_expert_account_stops_working(client, make, beijing):
    expert = make.expert(hospital=beijing)
    token = client.post(f"/api/v1/experts/{expert.id}/calendar-feed",
                        headers=token_headers(expert.user)).get_json()["token"]
    assert client.get(f"/api/v1/calendar-feeds/{token}.ics").status_code == 200

    expert.user.is_active = False
    db.session.commit()

    assert client.get(f"/api/v1/calendar-feeds/{token}.ics").status_code == 404
