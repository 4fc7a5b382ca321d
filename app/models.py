"""Every table, imported once so the metadata (and Alembic) sees them all."""
from app.applications.models import (  # noqa: F401
    AppliedEffect, Application, Certificate, Commitment, CreditRecord, MinorItems, Supplement, SupplementRequest,
)
from app.audit.models import AuditEvent, Incident  # noqa: F401
from app.auth.models import Enterprise, SignInThrottle, User, UserDepartment  # noqa: F401
from app.db import Base  # noqa: F401
from app.departments.models import Department  # noqa: F401
from app.districts.models import District  # noqa: F401
from app.offices.models import Office  # noqa: F401
from app.authorizations.models import Authorization, AuthorizationProcess  # noqa: F401
from app.assistance.models import AssistanceRequest, AssistedApplication  # noqa: F401
from app.documents.models import Document  # noqa: F401
from app.processes.models import DeployedFile, ProcessDefinition  # noqa: F401
from app.tasks.models import Task  # noqa: F401
from app.calendar.models import CalendarDay, CalendarYear, ItemTimeLimit  # noqa: F401
from app.notifications.models import Notification, OutboxEvent, WebhookDelivery, WebhookSubscription  # noqa: F401
from app.tasks.models import DeadlineExtension, SpecialProcedure  # noqa: F401
