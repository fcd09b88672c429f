"""Imports every domain's models so that SQLAlchemy's registry and Alembic see the whole
schema. Import this module, not the individual files, where the full model is needed."""

from app.accounts.models import Role, User  # noqa: F401
from app.bookings.models import Booking, BookingChange, OutCall, SentReminder  # noqa: F401
from app.consults.models import ConsultationRequest  # noqa: F401
from app.core.audit import AuditEvent  # noqa: F401
from app.directory.models import ExpertProfile, Hospital, Partnership, Specialty  # noqa: F401
from app.matching.models import Offer  # noqa: F401
from app.notifications.models import Notification  # noqa: F401
from app.outcomes.models import Outcome, OutcomeRevision, Referral  # noqa: F401
from app.rosters.models import CalendarFeedToken, HospitalCalendarDay, RosterException, RosterRule, Slot  # noqa: F401
