from flask import Response, request, url_for
from flask_smorest import Blueprint

from app.accounts.auth import current_user, login_required
from app.core.pagination import PageArgsSchema, page_of, paginate
from app.errors import DomainError, InvalidInput, NotFound
from app.extensions import db
from app.rosters import csv_import, feed, service
from app.rosters.schemas import (
    CalendarDayChangeSchema,
    CalendarDayCreateSchema,
    CalendarDaySchema,
    ChangeReportSchema,
    ExceptionChangeSchema,
    FeedTokenSchema,
    ImportArgsSchema,
    ImportResultSchema,
    MaterialiseResultSchema,
    RosterExceptionCreateSchema,
    RosterExceptionSchema,
    RosterRuleCreateSchema,
    RosterRuleSchema,
    RosterRuleUpdateSchema,
    RuleChangeSchema,
    SlotSchema,
    SlotSearchArgsSchema,
)

blp = Blueprint("rosters", __name__, description="Roster rules, exceptions, calendars, slots, calendar feeds")

MAX_CSV_BYTES = 5 * 1024 * 1024


def _report(report, **extra) -> dict:
    return {"removed": report.removed, "created": report.created, "untouched": report.untouched, **extra}


# --- rules -------------------------------------------------------------------------------

@blp.get("/experts/<int:expert_id>/roster-rules")
@login_required
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(RosterRuleSchema))
def list_rules(args, expert_id):
    return paginate(service.list_rules_stmt(current_user(), expert_id), args)


@blp.post("/experts/<int:expert_id>/roster-rules")
@login_required
@blp.arguments(RosterRuleCreateSchema)
@blp.response(201, RuleChangeSchema)
def create_rule(data, expert_id):
    """Schedulers of the expert's hospital, the expert, admins. Slots up to the horizon are
    materialised at once."""
    rule, report = service.create_rule(current_user(), expert_id, data)
    db.session.commit()
    return _report(report, rule=rule)


@blp.get("/roster-rules/<int:rule_id>")
@login_required
@blp.response(200, RosterRuleSchema)
def get_rule(rule_id):
    return service.get_rule(current_user(), rule_id)


@blp.patch("/roster-rules/<int:rule_id>")
@login_required
@blp.arguments(RosterRuleUpdateSchema)
@blp.response(200, RuleChangeSchema)
def update_rule(changes, rule_id):
    """Open slots of the rule are redone; held/booked ones no longer described by it are
    left alone and listed in `untouched`."""
    rule, report = service.update_rule(current_user(), rule_id, changes)
    db.session.commit()
    return _report(report, rule=rule)


@blp.delete("/roster-rules/<int:rule_id>")
@login_required
@blp.response(200, ChangeReportSchema)
def delete_rule(rule_id):
    """Open future slots go; held/booked ones stay and are listed in `untouched`."""
    report = service.delete_rule(current_user(), rule_id)
    db.session.commit()
    return _report(report)


@blp.post("/roster-rules/import")
@login_required
@blp.arguments(ImportArgsSchema, location="query")
@blp.response(200, ImportResultSchema)
def import_rules(args):
    """CSV upload (multipart field `file`, or a `text/csv` body); columns in the docs.
    Any bad row: 422 listing each line and reason, nothing imported — unless `partial`."""
    text = _csv_text()
    result = csv_import.import_rules(current_user(), text, partial=args["partial"])
    if result.errors and not args["partial"]:
        raise ImportRefused(result.errors)  # the handler rolls back: nothing imported
    db.session.commit()
    return {"imported": result.imported, "slots_created": result.slots_created, "errors": result.errors}


class ImportRefused(DomainError):
    """422 naming every bad line: `errors` is {"line N": [reason]}."""

    status, title = 422, "Invalid input"

    def __init__(self, errors: list[dict]):
        lines = ", ".join(str(e["line"]) for e in errors)
        super().__init__(f"Nothing imported: bad row(s) on line(s) {lines}.",
                         errors={f"line {e['line']}": [e["reason"]] for e in errors})


def _csv_text() -> str:
    if request.content_length and request.content_length > MAX_CSV_BYTES:
        raise InvalidInput("file", f"larger than {MAX_CSV_BYTES // 1024 // 1024} MB")
    upload = request.files.get("file")
    raw = upload.read() if upload else (request.get_data() if request.mimetype == "text/csv" else None)
    if not raw:
        raise InvalidInput("file", "send the CSV as multipart field 'file' or as a text/csv body")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("file", "not UTF-8 text") from None


# --- exceptions --------------------------------------------------------------------------

@blp.get("/experts/<int:expert_id>/roster-exceptions")
@login_required
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(RosterExceptionSchema))
def list_exceptions(args, expert_id):
    return paginate(service.list_exceptions_stmt(current_user(), expert_id), args)


@blp.post("/experts/<int:expert_id>/roster-exceptions")
@login_required
@blp.arguments(RosterExceptionCreateSchema)
@blp.response(201, ExceptionChangeSchema)
def create_exception(data, expert_id):
    """Leave or a blocked period: open slots inside go; held/booked ones are `untouched`."""
    exception, report = service.create_exception(current_user(), expert_id, data)
    db.session.commit()
    return _report(report, exception=exception)


@blp.delete("/roster-exceptions/<int:exception_id>")
@login_required
@blp.response(200, ChangeReportSchema)
def delete_exception(exception_id):
    report = service.delete_exception(current_user(), exception_id)
    db.session.commit()
    return _report(report)


# --- hospital calendar days ---------------------------------------------------------------

@blp.get("/hospitals/<int:hospital_id>/calendar-days")
@login_required
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(CalendarDaySchema))
def list_calendar_days(args, hospital_id):
    return paginate(service.list_calendar_days_stmt(current_user(), hospital_id), args)


@blp.post("/hospitals/<int:hospital_id>/calendar-days")
@login_required
@blp.arguments(CalendarDayCreateSchema)
@blp.response(201, CalendarDayChangeSchema)
def create_calendar_day(data, hospital_id):
    """A hospital's own holiday or adjusted working day; overrides the public calendars."""
    day, report = service.create_calendar_day(current_user(), hospital_id, data)
    db.session.commit()
    return _report(report, calendar_day=day)


@blp.delete("/calendar-days/<int:day_id>")
@login_required
@blp.response(200, ChangeReportSchema)
def delete_calendar_day(day_id):
    report = service.delete_calendar_day(current_user(), day_id)
    db.session.commit()
    return _report(report)


# --- slots -------------------------------------------------------------------------------

@blp.post("/experts/<int:expert_id>/slots/materialise")
@login_required
@blp.response(200, MaterialiseResultSchema)
def materialise(expert_id):
    """Create the missing slots up to the horizon now (the nightly job does it too)."""
    created = service.materialise(current_user(), expert_id)
    db.session.commit()
    return {"expert_id": expert_id, "slots_created": created}


@blp.get("/slots")
@login_required
@blp.arguments(SlotSearchArgsSchema, location="query")
@blp.response(200, page_of(SlotSchema))
def search_slots(args):
    """Open slots, soonest first."""
    return paginate(service.search_slots_stmt(current_user(), args), args)


@blp.post("/slots/<int:slot_id>/block")
@login_required
@blp.response(200, SlotSchema)
def block_slot(slot_id):
    slot = service.set_slot_blocked(current_user(), slot_id, True)
    db.session.commit()
    return slot


@blp.post("/slots/<int:slot_id>/unblock")
@login_required
@blp.response(200, SlotSchema)
def unblock_slot(slot_id):
    slot = service.set_slot_blocked(current_user(), slot_id, False)
    db.session.commit()
    return slot


# --- calendar feed -----------------------------------------------------------------------

@blp.post("/experts/<int:expert_id>/calendar-feed")
@login_required
@blp.response(201, FeedTokenSchema)
def issue_feed_token(expert_id):
    """Create or rotate the expert's feed URL (the old one stops working). The token is
    shown only now."""
    token = service.issue_feed_token(current_user(), expert_id)
    db.session.commit()
    return {"token": token, "url": url_for("rosters.calendar_feed", token=token, _external=True)}


@blp.delete("/experts/<int:expert_id>/calendar-feed")
@login_required
@blp.response(204)
def revoke_feed_token(expert_id):
    service.revoke_feed_token(current_user(), expert_id)
    db.session.commit()


@blp.get("/calendar-feeds/<token>.ics")
def calendar_feed(token):
    """The expert's bookings and open slots as iCalendar. The token is the credential: an
    unknown or revoked one is 404 (not 401/403, which would confirm it ever existed)."""
    expert = service.expert_for_feed_token(token)
    if expert is None:
        raise NotFound("No such calendar feed.")
    body = feed.build_feed(expert, request.host.split(":")[0])
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})

