"""Factories for test data: each takes overrides and fills the rest with valid defaults.
They add and flush; the test (or the request under test) commits."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from app.accounts import service as accounts
from app.accounts.models import Role, User
from app.bookings.models import Booking, BookingStatus, SessionMode
from app.consults.models import ConsultationRequest, PreferredMode, RequestStatus, Urgency
from app.directory.models import ExpertProfile, ExpertTitle, Hospital, Partnership, Specialty, Tier
from app.extensions import db
from app.rosters.models import Slot, SlotMode, SlotStatus

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def _add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def hospital(**kw) -> Hospital:
    n = next(_seq)
    defaults = dict(code=f"H-{n}", name=f"测试医院 {n}", tier=Tier.tertiary, region="北京市",
                    timezone="Asia/Shanghai", latitude=39.9, longitude=116.4)
    return _add(Hospital(**{**defaults, **kw}))


def county_hospital(**kw) -> Hospital:
    return hospital(**{"tier": Tier.grassroots, "region": "河北省保定市", "latitude": 38.87,
                       "longitude": 115.46, **kw})


def specialty(code: str | None = None, **kw) -> Specialty:
    code = code or f"spec_{next(_seq)}"
    return _add(Specialty(code=code, name_zh=kw.pop("name_zh", code), name_en=kw.pop("name_en", code), **kw))


def user(role: Role = Role.county_doctor, hospital: Hospital | None = None, **kw) -> User:
    if hospital is None:
        hospital = county_hospital() if role is Role.county_doctor else globals()["hospital"]()
    n = next(_seq)
    return accounts.create_user(
        email=kw.pop("email", f"user{n}@example.test"), display_name=kw.pop("display_name", f"User {n}"),
        role=role, hospital_id=hospital.id, password=kw.pop("password", PASSWORD), **kw)


def expert(hospital: Hospital | None = None, specialties: list[Specialty] | None = None, **kw) -> ExpertProfile:
    u = user(Role.expert, hospital=hospital)
    defaults = dict(title=ExpertTitle.chief_physician, accepts_remote=True, accepts_onsite=True, daily_cap=4)
    return _add(ExpertProfile(user=u, hospital_id=u.hospital_id,
                              specialties=specialties if specialties is not None else [specialty()],
                              **{**defaults, **kw}))


def partnership(grassroots: Hospital, tertiary: Hospital, specialties: list[Specialty], **kw) -> Partnership:
    defaults = dict(valid_from=date(2025, 1, 1), valid_to=date(2029, 1, 1))
    return _add(Partnership(grassroots_hospital_id=grassroots.id, tertiary_hospital_id=tertiary.id,
                            specialties=specialties, **{**defaults, **kw}))


def slot(expert: ExpertProfile, starts_at: datetime | None = None, minutes: int = 30, **kw) -> Slot:
    starts_at = starts_at or datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    defaults = dict(mode=SlotMode.both, status=SlotStatus.open)
    return _add(Slot(expert_id=expert.id, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes),
                     **{**defaults, **kw}))


def consultation_request(requester: User | None = None, specialty_: Specialty | None = None, **kw):
    requester = requester or user(Role.county_doctor)
    start = kw.pop("window_start", datetime(2026, 11, 24, 0, 0, tzinfo=UTC))
    defaults = dict(urgency=Urgency.routine, preferred_mode=PreferredMode.either,
                    clinical_question="Persistent chest pain after exertion; ECG attached.",
                    case_summary={"age_band": "60-69", "sex": "female"}, patient_ref="P-7F3A9C",
                    window_start=start, window_end=start + timedelta(days=7), status=RequestStatus.submitted)
    return _add(ConsultationRequest(requester_id=requester.id, hospital_id=requester.hospital_id,
                                    specialty_id=(specialty_ or specialty()).id, **{**defaults, **kw}))


def booking(slot_: Slot, request: ConsultationRequest | None = None, **kw) -> Booking:
    request = request or consultation_request()
    defaults = dict(mode=SessionMode.remote, status=BookingStatus.scheduled)
    return _add(Booking(request_id=request.id, expert_id=slot_.expert_id, slot_id=slot_.id,
                        starts_at=slot_.starts_at, ends_at=slot_.ends_at, **{**defaults, **kw}))


def token_headers(u: User) -> dict:
    """Authorization headers for `u` (commits first, so the server sees the user)."""
    db.session.commit()
    return {"Authorization": f"Bearer {accounts.token_for(u)['access_token']}"}


# --- outcomes / evaluation ---------------------------------------------------------------

def offer(request: ConsultationRequest, slot_: Slot, **kw):
    from app.matching.models import Offer, OfferStatus

    defaults = dict(status=OfferStatus.pending, deadline_at=slot_.starts_at)
    return _add(Offer(request_id=request.id, expert_id=slot_.expert_id, slot_id=slot_.id, **{**defaults, **kw}))


def outcome(booking_: Booking, **kw):
    from app.outcomes.models import Disposition, Outcome

    expert_user_id = db.session.get(ExpertProfile, booking_.expert_id).user_id
    defaults = dict(recorded_by_id=expert_user_id, advice="Continue treatment; recheck in two weeks.",
                    disposition=Disposition.manage_locally, duration_minutes=25, version=1)
    return _add(Outcome(booking_id=booking_.id, **{**defaults, **kw}))


def referral(request: ConsultationRequest, from_hospital: Hospital, to_hospital: Hospital, **kw):
    from app.outcomes.models import Referral, ReferralDirection, ReferralStatus

    defaults = dict(direction=ReferralDirection.up, status=ReferralStatus.proposed)
    return _add(Referral(request_id=request.id, from_hospital_id=from_hospital.id, to_hospital_id=to_hospital.id,
                         **{**defaults, **kw}))


def out_call(expert_: ExpertProfile, hospital_: Hospital, day: date | None = None, **kw):
    from app.bookings.models import OutCall, OutCallStatus

    defaults = dict(status=OutCallStatus.done, travel_minutes=90)
    return _add(OutCall(expert_id=expert_.id, hospital_id=hospital_.id, day=day or date(2026, 11, 24),
                        **{**defaults, **kw}))
