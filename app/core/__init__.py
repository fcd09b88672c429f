"""Shared infrastructure every domain stands on: the model base, time, intervals, paging,
the audit trail. No business rules live here."""
