"""SQLAlchemy 2 typed models, one module per aggregate. Importing this package registers all."""

from opsplanner.models.audit import AuditEvent
from opsplanner.models.jobs import Job, JobStatus
from opsplanner.models.operations import (
    Operation,
    OperationPhase,
    OrganisingAgency,
    Participation,
    ParticipationStatus,
    Priority,
    PriorityKind,
)
from opsplanner.models.reference import (
    Country,
    MembershipKind,
    Network,
    NetworkForm,
    NetworkMaturity,
    NetworkMembership,
)
from opsplanner.models.users import ApiToken, Role, User

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Country",
    "Job",
    "JobStatus",
    "MembershipKind",
    "Network",
    "NetworkForm",
    "NetworkMaturity",
    "NetworkMembership",
    "Operation",
    "OperationPhase",
    "OrganisingAgency",
    "Participation",
    "ParticipationStatus",
    "Priority",
    "PriorityKind",
    "Role",
    "User",
]
