"""Evaluation reports: figures as JSON, CSV and XLSX files, charts as PNG. Admins see all;
schedulers a scope anchored at their hospital; an expert their own figures; others 403."""

from flask import Response
from flask_smorest import Blueprint

from app.accounts.auth import current_user, login_required
from app.evaluation import exports, service
from app.evaluation.schemas import EvaluationArgsSchema, ExpertRowSchema, PeriodArgsSchema
from app.evaluation.service import Period, Scope

blp = Blueprint("evaluation", __name__, description="Performance evaluation of experts and partnerships")

_FILE = {"200": {"description": "a file", "content": {"text/csv": {}, exports.XLSX_MIME: {}, "image/png": {}}}}


def _scope_period(args) -> tuple[Scope, Period]:
    scope = service.resolve_scope(current_user(), args)
    return scope, Period(args["date_from"], args["date_to"])


def _file(body, mimetype: str, name: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.get("/evaluation/figures")
@login_required
@blp.arguments(EvaluationArgsSchema, location="query")
@blp.response(200)
def get_figures(args):
    """Every figure of the scope over the period (medians in seconds)."""
    return service.figures(*_scope_period(args))


@blp.get("/evaluation/figures.csv")
@login_required
@blp.arguments(EvaluationArgsSchema, location="query")
@blp.doc(responses=_FILE)
def get_figures_csv(args):
    return _file(exports.figures_csv(service.figures(*_scope_period(args))), "text/csv", "evaluation.csv")


@blp.get("/evaluation/figures.xlsx")
@login_required
@blp.arguments(EvaluationArgsSchema, location="query")
@blp.doc(responses=_FILE)
def get_figures_xlsx(args):
    """A workbook: the figures, the monthly trend, the experts compared."""
    scope, period = _scope_period(args)
    body = exports.figures_xlsx(service.figures(scope, period), service.trend(scope, period),
                                service.per_expert(scope, period))
    return _file(body, exports.XLSX_MIME, "evaluation.xlsx")


@blp.get("/evaluation/trend")
@login_required
@blp.arguments(EvaluationArgsSchema, location="query")
@blp.response(200)
def get_trend(args):
    return service.trend(*_scope_period(args))


@blp.get("/evaluation/response-times")
@login_required
@blp.arguments(EvaluationArgsSchema, location="query")
@blp.response(200)
def get_response_times(args):
    return service.response_time_distribution(*_scope_period(args))


@blp.get("/evaluation/experts")
@login_required
@blp.arguments(EvaluationArgsSchema, location="query")
@blp.response(200, ExpertRowSchema(many=True))
def get_experts(args):
    return service.per_expert(*_scope_period(args))


@blp.get("/evaluation/charts/<any('trend', 'response-times', 'experts'):chart>.png")
@login_required
@blp.arguments(EvaluationArgsSchema, location="query")
@blp.doc(responses=_FILE)
def get_chart(args, chart):
    scope, period = _scope_period(args)
    if chart == "trend":
        png = exports.trend_png(service.trend(scope, period))
    elif chart == "response-times":
        png = exports.response_times_png(service.response_time_distribution(scope, period))
    else:
        png = exports.experts_png(service.per_expert(scope, period))
    return Response(png, mimetype="image/png")


@blp.get("/evaluation/partnerships/<int:partnership_id>/programme")
@login_required
@blp.arguments(PeriodArgsSchema, location="query")
@blp.response(200)
def get_programme(args, partnership_id):
    """The programme report: out-calls, patients received, consultations, referrals, by month."""
    return _programme(args, partnership_id)


@blp.get("/evaluation/partnerships/<int:partnership_id>/programme.<any(csv, xlsx):fmt>")
@login_required
@blp.arguments(PeriodArgsSchema, location="query")
@blp.doc(responses=_FILE)
def get_programme_file(args, partnership_id, fmt):
    report = _programme(args, partnership_id)
    if fmt == "csv":
        return _file(exports.programme_csv(report), "text/csv", f"programme-{partnership_id}.csv")
    return _file(exports.programme_xlsx(report), exports.XLSX_MIME, f"programme-{partnership_id}.xlsx")


def _programme(args, partnership_id) -> dict:
    scope = service.partnership_scope(current_user(), partnership_id)
    return service.programme_report(scope.partnership, Period(args["date_from"], args["date_to"]))
