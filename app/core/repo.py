"""Small lookups every service needs."""

from __future__ import annotations

from app.errors import NotFound
from app.extensions import db


def get_or_404(model, ident, label: str | None = None):
    obj = db.session.get(model, ident)
    if obj is None:
        raise NotFound(f"{label or model.__name__} {ident} does not exist.")
    return obj


def apply_changes(obj, changes: dict) -> dict:
    """Set the given attributes; return {name: [old, new]} of the ones that changed."""
    diff = {}
    for name, value in changes.items():
        old = getattr(obj, name)
        if old != value:
            diff[name] = [_plain(old), _plain(value)]
            setattr(obj, name, value)
    return diff


def _plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return getattr(value, "name", value)
