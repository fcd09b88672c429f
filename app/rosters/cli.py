"""`flask roster import FILE.csv` and `flask roster materialise`."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.rosters import csv_import
from app.rosters.jobs import roll_rosters_forward

# Files at least this long get a progress bar (small ones would only flicker).
PROGRESS_FROM_ROWS = 200


@click.group("roster")
def roster():
    """Roster rules and slots."""


@roster.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--partial", is_flag=True, help="Import the good rows even if some rows are bad.")
@with_appcontext
def import_command(file, partial):
    """Import roster rules from a CSV file (columns: see docs/rosters.md).

    Every row is checked first. Any bad row means nothing is imported, unless --partial.
    """
    text = file.read()
    rows = max(text.count("\n") - 1, 0)
    with _progress(rows, "checking and importing") as progress:
        result = csv_import.import_rules(None, text, partial=partial, progress=progress)
    for error in result.errors:
        click.echo(f"line {error['line']}: {error['reason']}", err=True)
    if result.errors and not partial:
        db.session.rollback()
        click.echo(f"Nothing imported: {len(result.errors)} bad row(s). Fix them, or use --partial.", err=True)
        sys.exit(1)
    db.session.commit()
    skipped = f", skipped {len(result.errors)} bad row(s)" if result.errors else ""
    click.echo(f"Imported {result.imported} rule(s){skipped}; created {result.slots_created} slot(s).")


class _progress:
    """A click progress bar over both passes (check, then import) for large files; a
    no-op wrapper for small ones."""

    def __init__(self, rows: int, label: str):
        large = rows >= PROGRESS_FROM_ROWS
        self.bar = click.progressbar(length=rows * 2, label=label, file=sys.stderr) if large else None

    def __enter__(self):
        if self.bar is not None:
            self.bar.__enter__()
        return self._wrap

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def _wrap(self, iterable):
        for item in iterable:
            yield item
            if self.bar is not None:
                self.bar.update(1)


@roster.command("materialise")
@with_appcontext
def materialise_command():
    """Create the missing slots of every active rule up to the horizon (idempotent)."""
    summary = roll_rosters_forward()
    click.echo(f"{summary['slots_created']} slot(s) created for {summary['experts']} expert(s).")


commands = [roster]
