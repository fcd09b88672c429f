from flask import request as http
from flask_smorest import Blueprint

from app.accounts.auth import current_user, login_required
from app.consults import service
from app.consults.schemas import (
    CancelSchema,
    RequestCreateSchema,
    RequestListArgsSchema,
    RequestSchema,
    RequestUpdateSchema,
)
from app.core.pagination import page_of, paginate
from app.errors import InvalidInput
from app.extensions import db

blp = Blueprint("consults", __name__, description="Consultation requests")


@blp.post("/requests")
@login_required
@blp.arguments(RequestCreateSchema)
@blp.response(201, RequestSchema)
@blp.alt_response(200, schema=RequestSchema, description="A retry with the same Idempotency-Key: the first request")
def create_request(data):
    """File a request (county doctors) and start matching. Send an `Idempotency-Key`
    header: a retry with the same key returns the first request instead of a second one."""
    key = http.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key.strip()) <= 100 and key.isprintable()):
        raise InvalidInput("Idempotency-Key", "must be 1-100 printable characters")
    req, created = service.create_request(current_user(), data, key.strip() if key else None)
    db.session.commit()
    return (req, 201) if created else (req, 200, {"Idempotent-Replayed": "true"})


@blp.get("/requests")
@login_required
@blp.arguments(RequestListArgsSchema, location="query")
@blp.response(200, page_of(RequestSchema))
def list_requests(args):
    """County doctors: their hospital's requests. Schedulers: their hospital's queue (its own
    requests, those offered to its experts, unmatched ones of partner hospitals). Experts:
    the requests they were offered."""
    return paginate(service.list_requests_stmt(current_user(), args), args)


@blp.get("/requests/<int:request_id>")
@login_required
@blp.response(200, RequestSchema)
def get_request(request_id):
    return service.get_request(current_user(), request_id)


@blp.patch("/requests/<int:request_id>")
@login_required
@blp.arguments(RequestUpdateSchema)
@blp.response(200, RequestSchema)
def update_request(changes, request_id):
    """Edit while unbooked; changing urgency, mode or window withdraws the offers and matches again."""
    req = service.update_request(current_user(), request_id, changes)
    db.session.commit()
    return req


@blp.post("/requests/<int:request_id>/cancel")
@login_required
@blp.arguments(CancelSchema)
@blp.response(200, RequestSchema)
def cancel_request(data, request_id):
    req = service.cancel_request(current_user(), request_id, data["reason"])
    db.session.commit()
    return req
