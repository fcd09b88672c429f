"""Domain errors and their HTTP mapping. Every error leaves the API as
`application/problem+json` (RFC 9457) with a message a person can act on."""

from __future__ import annotations

import logging
import re
from json import JSONDecodeError

from flask import Response, json, request
from flask_smorest import Api
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
# PostgreSQL's deadlock_detected and serialization_failure: a concurrent writer won.
RETRYABLE_SQLSTATES = {"40P01", "40001"}
# What both backends can store: the 32-bit integers of PostgreSQL's `integer` (every id
# column), text without NUL (PostgreSQL refuses it). No number in this API is larger.
MAX_INT = 2**31 - 1
# ...except these names, which refer to the BIGINT ids of slots and notifications.
WIDE_NAMES = frozenset({"slot_id", "notification_id", "after_id"})
MAX_BIGINT = 2**63 - 1
INTEGER = re.compile(r"[+-]?[0-9]+")
# Deeper JSON than any schema here needs; bounded so walking and storing it cannot recurse away.
MAX_DEPTH = 32


class DomainError(Exception):
    """A rule of the domain said no. Services raise these; the API turns them into 4xx."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, errors: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class InvalidInput(DomainError):
    status, title = 422, "Invalid input"

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}", errors={field: [reason]})


class NotAuthenticated(DomainError):
    status, title = 401, "Not authenticated"


class Forbidden(DomainError):
    status, title = 403, "Forbidden"


class NotFound(DomainError):
    status, title = 404, "Not found"


class Conflict(DomainError):
    status, title = 409, "Conflict"


def problem(status: int, title: str, detail: str, errors: dict | None = None) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
        body["invalid_params"] = _invalid_params(errors)
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)


def _invalid_params(errors: dict, prefix: str = "") -> list[dict]:
    """Flatten marshmallow's nested messages into [{name, reason}] pairs."""
    out = []
    for key, value in errors.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.extend(_invalid_params(value, name))
        else:
            for reason in value if isinstance(value, list) else [value]:
                out.append({"name": name, "reason": str(reason)})
    return out


def _validation_errors(error: HTTPException) -> dict | None:
    """webargs puts marshmallow messages under data["messages"][location]; merge locations."""
    messages = (getattr(error, "data", None) or {}).get("messages")
    if not messages:
        return None
    merged: dict = {}
    for by_field in messages.values():
        merged.update(by_field if isinstance(by_field, dict) else {"_schema": by_field})
    return merged


class HuizhenApi(Api):
    """flask-smorest's Api with errors rendered as problem+json."""

    def handle_http_exception(self, error: HTTPException):
        errors = _validation_errors(error)
        detail = error.description or error.name
        if errors:
            names = ", ".join(p["name"] for p in _invalid_params(errors))
            detail = f"Invalid fields: {names}"
        return problem(error.code or 500, error.name, detail, errors)


def _int_limit(name: str) -> int:
    """The bound for a value named like `slot_id` or `user_ids.3` (a list item: its list's name)."""
    fields = [part for part in name.split(".") if not part.isdigit()]
    return MAX_BIGINT if fields and fields[-1] in WIDE_NAMES else MAX_INT


def _scalar_problem(value, name: str = "") -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and abs(value) > _int_limit(name):
        return "number is too large"
    if isinstance(value, str):
        if "\x00" in value:
            return "must not contain the NUL character"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "is not valid Unicode text (a lone surrogate escape)"
    return None


def _unstorable(value, name: str = "") -> tuple[str, str] | None:
    """The first value in a JSON document that no backend can store, as (field, reason).
    Iterative, with a depth limit, so a hostile document cannot exhaust the stack."""
    stack = [(name, value, 0)]
    while stack:
        path, item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                return path or "body", f"is nested too deeply (at most {MAX_DEPTH} levels)"
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in reversed(list(pairs)):
                name = f"{path}.{key}" if path else str(key)
                if reason := _scalar_problem(key):
                    return name, reason
                stack.append((name, child, depth + 1))
        elif reason := _scalar_problem(item, path):
            return path or "body", reason
    return None


def _json_body():
    """The JSON body, or None when webargs will report it as malformed (400). Failures that
    webargs would let through as 500s (nesting, a number with thousands of digits) are 400s here."""
    if not request.is_json:
        return None
    try:
        return json.loads(request.get_data(cache=True) or b"null")
    except (JSONDecodeError, UnicodeDecodeError):
        return None
    except RecursionError:
        raise DomainError("body: nested too deeply", errors={"body": ["is nested too deeply"]}) from None
    except ValueError:
        raise DomainError("body: a number has too many digits",
                          errors={"body": ["a number has too many digits"]}) from None


def _check_storable_input() -> None:
    """Refuse, naming the field, input that would only fail deep in the database driver."""
    for key, value in request.args.items(multi=True):
        if INTEGER.fullmatch(value) and len(value) < 30:
            value = int(value)
        elif INTEGER.fullmatch(value):
            raise InvalidInput(key, "number is too large")
        if found := _unstorable(value, key):
            raise InvalidInput(*found)
    if found := _unstorable(_json_body()):
        raise InvalidInput(*found)


def _id_out_of_range(endpoint, values) -> None:
    """A path id that does not fit an id column names no record: 404, not an overflow."""
    for name, value in (values or {}).items():
        if isinstance(value, int) and abs(value) > _int_limit(name):
            raise NotFound(f"{name}: no record has id {value}.")


def register_error_handlers(app) -> None:
    from app.extensions import db

    app.url_value_preprocessor(_id_out_of_range)
    app.before_request(_check_storable_input)

    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        db.session.rollback()
        return problem(err.status, err.title, err.detail, err.errors)

    @app.errorhandler(IntegrityError)
    def _integrity(err: IntegrityError):
        # Services check the rules first; reaching this means a concurrent writer won.
        db.session.rollback()
        log.info("integrity error mapped to 409: %s", err.orig)
        return problem(409, "Conflict", "The change conflicts with the current state; reload and retry.")

    @app.errorhandler(OperationalError)
    def _operational(err: OperationalError):
        db.session.rollback()
        if getattr(err.orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
            log.warning("concurrent change mapped to 409: %s", err.orig)
            return problem(409, "Conflict", "A concurrent change got in the way; reload and retry.")
        log.exception("database error")
        return problem(503, "Service unavailable", "The database could not complete the request; retry shortly.")

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        if isinstance(err, HTTPException):
            return problem(err.code or 500, err.name, err.description or err.name)
        db.session.rollback()
        log.exception("unhandled error")
        return problem(500, "Internal server error", "Something went wrong on our side; it has been logged.")
