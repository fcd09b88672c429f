"""The score of one (expert, slot) candidate, as named parts. Pure functions: the service
gathers the facts, this file weighs them, so the weighing is easy to read and to test."""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def travel_minutes(from_h, to_h, speed_kmh: float, matrix: dict) -> int:
    """Minutes from one hospital to another: the configured matrix if it knows the pair,
    else the great-circle distance at the configured speed (rounded up)."""
    for key in (f"{from_h.id}-{to_h.id}", f"{to_h.id}-{from_h.id}"):
        if key in matrix:
            return int(matrix[key])
    km = haversine_km(from_h.latitude, from_h.longitude, to_h.latitude, to_h.longitude)
    return math.ceil(km / speed_kmh * 60)


@dataclass
class Facts:
    """What is known about one candidate when it is scored."""

    hours_to_slot: float
    window_hours: float
    urgency: str
    in_network: bool
    saw_patient_before: bool
    recent_consultations: int
    avg_rating: float | None  # 1..5, None without ratings
    completion_rate: float | None  # 0..1, None without history
    travel_minutes: int  # 0 for remote
    max_travel_minutes: int


def score_parts(f: Facts, weights: dict, urgency_factor: dict) -> dict:
    """{part: {"value": 0..1, "weight": w, "points": value * weight}}; the score is the sum."""
    values = {
        # sooner is better, and counts more the more urgent the request
        "time": max(0.0, 1.0 - f.hours_to_slot / max(f.window_hours, 1e-6)),
        "partnership": 1.0 if f.in_network else 0.0,
        "continuity": 1.0 if f.saw_patient_before else 0.0,
        "load": 1.0 / (1.0 + f.recent_consultations),
        "quality": _quality(f.avg_rating, f.completion_rate),
        "travel": 1.0 - min(f.travel_minutes, f.max_travel_minutes) / max(f.max_travel_minutes, 1),
    }
    weight = dict(weights)
    weight["time"] = weight.get("time", 0.0) * urgency_factor.get(f.urgency, 1.0)
    return {name: {"value": round(v, 4), "weight": round(weight.get(name, 0.0), 4),
                   "points": round(v * weight.get(name, 0.0), 4)} for name, v in values.items()}


def total(parts: dict) -> float:
    return round(sum(p["points"] for p in parts.values()), 4)


def _quality(avg_rating: float | None, completion_rate: float | None) -> float:
    """Ratings and completion, each neutral-ish when unknown so newcomers are not buried."""
    rating = (avg_rating - 1) / 4 if avg_rating is not None else 0.6
    completion = completion_rate if completion_rate is not None else 0.8
    return (rating + completion) / 2
