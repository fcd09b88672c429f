"""Half-open intervals [start, end). One definition of "overlap", used both in Python and
in SQL filters, so the two can never disagree."""

from __future__ import annotations

from datetime import datetime


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def overlaps_clause(start_col, end_col, start: datetime, end: datetime):
    """SQL expression: the row's [start_col, end_col) overlaps [start, end)."""
    return (start_col < end) & (end_col > start)
