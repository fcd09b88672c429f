"""Paginated lists: `?page=&per_page=` in, `{items, page, per_page, total}` out."""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa
from marshmallow import Schema, fields, validate

from app.extensions import db


class PageArgsSchema(Schema):
    # Bounded so that the OFFSET stays a 64-bit integer on every backend.
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


@cache
def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The envelope schema for a page of `item_schema` (one class per item schema, so the
    OpenAPI document names it once)."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return type(
        name,
        (Schema,),
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(),
        },
    )


def paginate(stmt: sa.Select, args: dict) -> dict:
    page, per_page = args.get("page", 1), args.get("per_page", 20)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return {"items": items, "page": page, "per_page": per_page, "total": total}


class PartialUpdate:
    """Mixin for `*UpdateSchema`: every field optional (PATCH), a distinct OpenAPI name."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)
