import sys

import click
from flask.cli import with_appcontext

from app.directory.models import Partnership
from app.errors import DomainError
from app.evaluation import exports, service
from app.evaluation.service import PROGRAMME_FIGURES, Period
from app.extensions import db

_DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.group("report")
def report():
    """Evaluation reports."""


@report.command("partnership")
@click.option("--id", "partnership_id", type=int, required=True, help="Partnership id")
@click.option("--from", "date_from", type=_DAY, required=True, help="First day, YYYY-MM-DD")
@click.option("--to", "date_to", type=_DAY, required=True, help="Last day (included), YYYY-MM-DD")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, writable=True), help="Also write an XLSX file")
@with_appcontext
def partnership_report(partnership_id, date_from, date_to, xlsx_path):
    """The programme report of a partnership: out-calls, patients received, consultations
    held, referrals up and down, month by month and in total."""
    partnership = db.session.get(Partnership, partnership_id)
    if partnership is None:
        raise click.BadParameter(f"no partnership {partnership_id}", param_hint="--id")
    try:
        period = Period(date_from.date(), date_to.date())
    except DomainError as exc:
        raise click.BadParameter(exc.detail, param_hint="--to") from exc
    months = period.months()
    # Month by month, so a long period shows progress (on stderr: stdout stays the report).
    with click.progressbar(months, label=f"Computing {len(months)} month(s)", file=sys.stderr,
                           show_pos=True, item_show_func=lambda m: m and m.start.strftime("%Y-%m")) as bar:
        result = service.programme_report(partnership, period, months=bar)
    click.echo(_table(result))
    if xlsx_path:
        with open(xlsx_path, "wb") as out:
            out.write(exports.programme_xlsx(result))
        click.echo(f"wrote {xlsx_path}")


def _table(result: dict) -> str:
    p, period = result["partnership"], result["period"]
    lines = [f"Partnership {p['id']}: {p['tertiary_hospital']} → {p['grassroots_hospital']}",
             f"Period {period['from']} .. {period['to']}", ""]
    header = ["month", *PROGRAMME_FIGURES]
    widths = [max(len(h), 7) for h in header]
    rows = [[m["month"], *(m[n] for n in PROGRAMME_FIGURES)] for m in result["months"]]
    rows.append(["total", *(result["total"][n] for n in PROGRAMME_FIGURES)])
    for row in [header, *rows]:
        lines.append("  ".join(str(v).rjust(w) for v, w in zip(row, widths, strict=True)))
    return "\n".join(lines)


commands = [report]
