"""A small hand-built world whose every evaluation figure is worked out by hand below.

November 2026 in Asia/Shanghai (UTC+8). Tertiary T (experts A, B) partners county G on
cardiology (partnership P); tertiary T2 (expert C) serves county G2.
"""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

from app.accounts.models import Role
from app.bookings.models import BookingStatus, NoShowSide, OutCallStatus, SessionMode
from app.matching.models import OfferStatus
from app.outcomes.models import Disposition, ReferralDirection, ReferralStatus


def at(month, day, hour=0, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def world(make):
    w = SimpleNamespace()
    w.T, w.T2, w.G, w.G2 = make.hospital(), make.hospital(), make.county_hospital(), make.county_hospital()
    w.cardio, w.neuro = make.specialty("cardio_x"), make.specialty("neuro_x")
    w.A = make.expert(hospital=w.T, specialties=[w.cardio])
    w.B = make.expert(hospital=w.T, specialties=[w.cardio, w.neuro])
    w.C = make.expert(hospital=w.T2, specialties=[w.cardio])
    w.P = make.partnership(w.G, w.T, [w.cardio])
    w.doctor, w.doctor2 = make.user(Role.county_doctor, hospital=w.G), make.user(Role.county_doctor, hospital=w.G2)

    def request(doctor, specialty, created_at):
        return make.consultation_request(requester=doctor, specialty_=specialty, created_at=created_at)

    w.r1 = request(w.doctor, w.cardio, at(11, 2))
    w.r2 = request(w.doctor, w.cardio, at(11, 3))
    w.r3 = request(w.doctor, w.neuro, at(11, 4))
    w.r4 = request(w.doctor2, w.cardio, at(11, 5))
    w.r_in = request(w.doctor, w.cardio, at(10, 31, 17))  # 1 Nov 01:00 in Beijing: November
    w.r_out = request(w.doctor, w.cardio, at(10, 31, 15))  # 31 Oct 23:00 in Beijing: October

    def offer(req, expert, created_at, status, answer_minutes=None):
        responded = created_at + timedelta(minutes=answer_minutes) if answer_minutes is not None else None
        slot = make.slot(expert, starts_at=created_at + timedelta(days=20, minutes=answer_minutes or 0))
        return make.offer(req, slot, status=status, created_at=created_at, responded_at=responded)

    offer(w.r1, w.A, at(11, 2), OfferStatus.accepted, 10)  # 600 s
    offer(w.r2, w.A, at(11, 3), OfferStatus.declined, 20)
    offer(w.r2, w.B, at(11, 3, 1), OfferStatus.accepted, 30)  # 1800 s
    offer(w.r3, w.B, at(11, 4), OfferStatus.expired)
    offer(w.r4, w.C, at(11, 5), OfferStatus.accepted, 60)  # 3600 s
    offer(w.r_in, w.A, at(10, 31, 17), OfferStatus.accepted, 50)  # 3000 s
    offer(w.r_out, w.A, at(10, 31, 15), OfferStatus.accepted, 5)  # October: not counted

    w.oc1 = make.out_call(w.B, w.G, date(2026, 11, 3))
    make.out_call(w.C, w.G2, date(2026, 11, 20))
    make.out_call(w.A, w.G, date(2026, 11, 25), status=OutCallStatus.cancelled)
    make.out_call(w.B, w.G, date(2026, 12, 1))  # December: not counted

    def booking(req, expert, starts_at, status, **kw):
        return make.booking(make.slot(expert, starts_at=starts_at), request=req, status=status, **kw)

    w.b1 = booking(w.r1, w.A, at(11, 2, 6), BookingStatus.completed)  # waited 6 h
    w.b2 = booking(w.r2, w.B, at(11, 3, 12), BookingStatus.completed, mode=SessionMode.onsite,
                   out_call_id=w.oc1.id)  # waited 12 h
    w.b3 = booking(w.r4, w.C, at(11, 6), BookingStatus.completed)  # waited 24 h
    booking(w.r_in, w.A, at(11, 10), BookingStatus.no_show, no_show_side=NoShowSide.requester)
    booking(w.r3, w.B, at(11, 12), BookingStatus.no_show, no_show_side=NoShowSide.expert)
    booking(w.r_out, w.A, at(12, 2), BookingStatus.completed)  # December

    w.o1 = make.outcome(w.b1, disposition=Disposition.refer_up, requester_rating=5, preparation_rating=4)
    make.outcome(w.b2, disposition=Disposition.manage_locally, requester_rating=3)
    make.outcome(w.b3, disposition=Disposition.follow_up, preparation_rating=2)

    up, down = ReferralDirection.up, ReferralDirection.down
    make.referral(w.r1, w.G, w.T, outcome_id=w.o1.id, status=ReferralStatus.accepted, created_at=at(11, 2, 7))
    make.referral(w.r1, w.T, w.G, direction=down, outcome_id=w.o1.id, created_at=at(11, 20))
    make.referral(w.r4, w.G2, w.T2, direction=up, status=ReferralStatus.cancelled, created_at=at(11, 7))
    make.referral(w.r2, w.G, w.T2, direction=up, created_at=at(11, 8))
    return w
