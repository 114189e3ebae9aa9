"""SQLAlchemy 2 typed models, one module per aggregate. Importing this package registers all."""

from opsplanner.models.audit import AuditEvent
from opsplanner.models.jobs import Job, JobStatus
from opsplanner.models.operations import (
    Operation,
    OperationPhase,
    OrganisingAgency,
    Participation,
    ParticipationStatus,
    PhaseChange,
    Priority,
    PriorityKind,
)
from opsplanner.models.planning import (
    Activity,
    ActivityType,
    Agency,
    Briefing,
    BriefingAttendance,
    BriefingKind,
    MeetingMode,
    PlanComment,
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
    "Activity",
    "ActivityType",
    "Agency",
    "ApiToken",
    "AuditEvent",
    "Briefing",
    "BriefingAttendance",
    "BriefingKind",
    "Country",
    "Job",
    "JobStatus",
    "MeetingMode",
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
    "PhaseChange",
    "PlanComment",
    "Priority",
    "PriorityKind",
    "Role",
    "User",
]
