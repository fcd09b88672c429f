"""The figures as files: CSV and XLSX (openpyxl), and charts as PNG (matplotlib, Agg)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def flatten(figures: dict, prefix: str = "") -> list[tuple[str, object]]:
    """{"offers": {"accepted": 3}} → [("offers.accepted", 3)], in the figures' own order."""
    rows = []
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(flatten(value, name + "."))
        else:
            rows.append((name, value))
    return rows


def figures_csv(figures: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "value"])
    writer.writerows(("" if v is None else v for v in row) for row in flatten(figures))
    return out.getvalue()


def table_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()


def figures_xlsx(figures: dict, trend: list[dict], experts: list[dict]) -> bytes:
    book = Workbook()
    _sheet(book.active, "Figures", ["metric", "value"], [list(r) for r in flatten(figures)])
    _sheet(book.create_sheet(), "By month", list(trend[0]) if trend else ["month"],
           [list(r.values()) for r in trend])
    _sheet(book.create_sheet(), "Experts", list(experts[0]) if experts else ["expert_id"],
           [list(r.values()) for r in experts])
    return _bytes(book)


def programme_xlsx(report: dict) -> bytes:
    book = Workbook()
    names = list(report["total"])
    rows = [[m["month"], *(m[n] for n in names)] for m in report["months"]]
    sheet = _sheet(book.active, "Programme", ["month", *names], [*rows, ["total", *report["total"].values()]])
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    about = book.create_sheet("About")
    p = report["partnership"]
    for row in (["partnership", p["id"]], ["grassroots hospital", p["grassroots_hospital"]],
                ["tertiary hospital", p["tertiary_hospital"]], ["from", report["period"]["from"]],
                ["to", report["period"]["to"]]):
        about.append(row)
    return _bytes(book)


def programme_csv(report: dict) -> str:
    return table_csv([*report["months"], {"month": "total", **report["total"]}])


def _sheet(sheet, title: str, header: list, rows: list[list]):
    sheet.title = title
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.column_dimensions["A"].width = 34
    return sheet


def _bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- charts ------------------------------------------------------------------------------

def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display on servers; must precede pyplot's import
    from matplotlib import pyplot

    return pyplot


def _png(fig) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=100, bbox_inches="tight")
    _pyplot().close(fig)
    return out.getvalue()


def trend_png(trend: list[dict]) -> bytes:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    months = [m["month"] for m in trend]
    for key, label in (("requests_received", "requests"), ("sessions_completed", "sessions completed"),
                       ("no_shows", "no-shows")):
        ax.plot(months, [m[key] for m in trend], marker="o", label=label)
    ax.set_title("Consultations per month")
    ax.set_ylabel("count")
    ax.legend()
    ax.tick_params(axis="x", labelrotation=45)
    return _png(fig)


def response_times_png(buckets: list[dict]) -> bytes:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.bar([b["bucket"] for b in buckets], [b["offers"] for b in buckets], color="#3b7dd8")
    ax.set_title("Time to answer an offer")
    ax.set_ylabel("offers")
    return _png(fig)


def experts_png(experts: list[dict]) -> bytes:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(6, len(experts) * 0.8), 4))
    # Ids, not names: the server may lack CJK fonts, and the JSON carries the names.
    labels = [f"#{e['expert_id']}" for e in experts]
    ax.bar(labels, [e["sessions_completed"] for e in experts], color="#3b7dd8", label="sessions completed")
    ax.bar(labels, [e["offers_declined"] for e in experts], bottom=[e["sessions_completed"] for e in experts],
           color="#d8893b", label="offers declined")
    ax.set_title("Experts compared")
    ax.set_xlabel("expert")
    ax.legend()
    return _png(fig)
