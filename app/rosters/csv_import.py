"""Bulk import of roster rules from CSV (a whole department at once).

Columns (header row required, UTF-8, a BOM is fine):

    expert_email              the expert's login e-mail                 required
    weekdays                  "mon-fri", "mon;wed;fri", "0,2,4" (0 = Monday)  required
    start_time, end_time      local time at the hospital, HH:MM          required
    slot_minutes              5..480, default 30
    mode                      remote | onsite | both, default remote
    valid_from, valid_to      YYYY-MM-DD; valid_to may be empty (open-ended)
    follows_official_calendar true/false, default true

Every row is validated before anything is written. Any bad row means nothing is
imported, unless `partial` is set: then the good rows are imported and the bad ones
reported. Each error names the file's line number (the header is line 1).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from marshmallow import ValidationError

from app.accounts.models import User
from app.directory.models import ExpertProfile
from app.errors import DomainError
from app.extensions import db
from app.rosters import materialise as mat
from app.rosters import service
from app.rosters.models import RosterRule
from app.rosters.schemas import WEEKDAY_NAMES, RosterRuleCreateSchema

REQUIRED = ("expert_email", "weekdays", "start_time", "end_time", "valid_from")
OPTIONAL = ("slot_minutes", "mode", "valid_to", "follows_official_calendar")
_schema = RosterRuleCreateSchema()


@dataclass
class ImportResult:
    imported: int = 0
    slots_created: int = 0
    errors: list[dict] = field(default_factory=list)  # [{line, reason}]
    rows: list[tuple[int, ExpertProfile, dict]] = field(default_factory=list)


def parse_weekdays(text: str) -> list[int]:
    """'mon-fri', 'mon;wed', '0,2,4', 'Mon Tue' → weekday numbers (0 = Monday)."""
    days: list[int] = []
    for part in text.replace(";", ",").replace("|", ",").replace(" ", ",").split(","):
        part = part.strip().lower()
        if not part:
            continue
        first, _, last = part.partition("-")
        a, b = _weekday(first), _weekday(last or first)
        if b < a:
            raise ValueError(f"range {part!r} goes backwards")
        days.extend(range(a, b + 1))
    if not days:
        raise ValueError("no weekday given")
    return sorted(set(days))


def _weekday(token: str) -> int:
    if token.isdigit() and int(token) <= 6:
        return int(token)
    if token[:3] in WEEKDAY_NAMES and len(token) >= 3:
        return WEEKDAY_NAMES.index(token[:3])
    raise ValueError(f"{token!r} is not a weekday (mon..sun or 0..6)")


def validate_file(actor: User | None, text: str, progress: Callable[[Iterable], Iterable] = iter) -> ImportResult:
    """Check every row; nothing is written. `progress` wraps the row iterator (a bar)."""
    result = ImportResult()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        result.errors.append({"line": 1, "reason": f"header lacks column(s): {', '.join(missing)}"})
        return result
    experts: dict[str, ExpertProfile | None] = {}
    for row in progress(reader):
        line = reader.line_num
        try:
            expert, data = _validate_row(actor, row, experts)
        except (ValueError, ValidationError, DomainError) as exc:
            result.errors.append({"line": line, "reason": _reason(exc)})
            continue
        result.rows.append((line, expert, data))
    return result


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.normalized_messages().items())
    return getattr(exc, "detail", None) or str(exc)


def _validate_row(actor: User | None, row: dict, experts: dict) -> tuple[ExpertProfile, dict]:
    if None in row:
        raise ValueError("more fields than the header has columns")
    if any("\x00" in (value or "") for value in row.values()):
        # PostgreSQL text refuses NUL: say so here rather than fail in the driver.
        raise ValueError("contains the NUL character")
    email = (row.get("expert_email") or "").strip().lower()
    if email not in experts:
        experts[email] = _expert_by_email(email)
    expert = experts[email]
    if expert is None:
        raise ValueError(f"expert_email: no expert with e-mail {email!r}")
    if actor is not None:
        service.get_expert(actor, expert.id)  # Forbidden for another hospital's expert
    raw = {k: (row.get(k) or "").strip() for k in REQUIRED + OPTIONAL}
    raw["weekdays"] = parse_weekdays(raw["weekdays"])
    data = _schema.load({k: v for k, v in raw.items() if v not in ("", None) and k != "expert_email"})
    service.check_rule(RosterRule(expert_id=expert.id, **data))
    return expert, data


def _expert_by_email(email: str) -> ExpertProfile | None:
    return db.session.scalar(sa.select(ExpertProfile).join(User, ExpertProfile.user_id == User.id)
                             .where(sa.func.lower(User.email) == email))


def import_rules(actor: User | None, text: str, partial: bool = False,
                 progress: Callable[[Iterable], Iterable] = iter) -> ImportResult:
    """Validate, then (if clean, or `partial`) add the rules and materialise their slots.
    Adds and flushes; the caller commits (or rolls back when `errors` and not partial)."""
    result = validate_file(actor, text, progress)
    if result.errors and not partial:
        return result
    touched: dict[int, ExpertProfile] = {}
    for _line, expert, data in progress(result.rows):
        service.add_rule(actor, expert, data, source="csv")
        touched[expert.id] = expert
    result.imported = len(result.rows)
    db.session.flush()
    for expert in touched.values():
        result.slots_created += mat.materialise_expert(expert)
    return result
