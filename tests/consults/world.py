"""A small programme shared by the consult, matching and booking tests: one county hospital
(Baoding), its partner for cardiology (Beijing, ~150 km away) and a tertiary hospital
without partnership, with a doctor and schedulers."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from app.accounts.models import Role
from app.extensions import db
from app.matching.models import Offer
from tests.conftest import T0
from tests.factories import token_headers


def build(make) -> SimpleNamespace:
    cardio = make.specialty("cardiology")
    county = make.county_hospital(name="涿州市医院", latitude=39.49, longitude=115.97)
    partner = make.hospital(name="北京安贞医院", latitude=39.97, longitude=116.40)
    other = make.hospital(name="北京朝阳医院", latitude=39.92, longitude=116.45)
    make.partnership(county, partner, [cardio])
    w = SimpleNamespace(cardio=cardio, county=county, partner=partner, other=other, make=make)
    w.doctor = make.user(Role.county_doctor, hospital=county)
    w.county_scheduler = make.user(Role.scheduler, hospital=county)
    w.partner_scheduler = make.user(Role.scheduler, hospital=partner)
    w.other_scheduler = make.user(Role.scheduler, hospital=other)
    return w


def expert(w, hospital=None, **kw):
    return w.make.expert(hospital=hospital or w.partner, specialties=[w.cardio], **kw)


def slot(w, expert_, hours: float = 24, minutes: int = 30, **kw):
    return w.make.slot(expert_, starts_at=T0 + timedelta(hours=hours), minutes=minutes, **kw)


def body(**overrides) -> dict:
    data = {
        "specialty": "cardiology", "urgency": "routine", "preferred_mode": "remote",
        "clinical_question": "Exertional chest pain, ST depression on ECG; PCI needed?",
        "case_summary": {"age_band": "60-69", "sex": "female", "history": "hypertension 10y",
                         "current_findings": "ST depression V4-V6",
                         "attachments": [{"ref": "pacs://zz/123", "kind": "ecg"}]},
        "patient_ref": "ZZ-2026-0042",
        "window_start": T0.isoformat(), "window_end": (T0 + timedelta(days=3)).isoformat(),
    }
    data.update(overrides)
    return data


def file(client, w, user=None, headers=None, **overrides):
    """POST a request as the county doctor; returns the response."""
    headers = headers or token_headers(user or w.doctor)
    return client.post("/api/v1/requests", json=body(**overrides), headers=headers)


def offers_of(request_id: int) -> list[Offer]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Offer).where(Offer.request_id == request_id).order_by(Offer.id)))


def headers(user) -> dict:
    return token_headers(user)
