"""All SQLAlchemy models, on one ``Base.metadata`` (house style: one place, lazy="raise").

Tables: users, api_tokens, materials, material_files, derivatives, audit_events, jobs.
"""

from repository.models.audit import AuditEvent
from repository.models.base import utcnow
from repository.models.job import Job, JobStatus
from repository.models.material import (
    Derivative,
    IngestStatus,
    Material,
    MaterialFile,
    WorkflowState,
)
from repository.models.user import ApiToken, Role, User

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Derivative",
    "IngestStatus",
    "Job",
    "JobStatus",
    "Material",
    "MaterialFile",
    "Role",
    "User",
    "WorkflowState",
    "utcnow",
]
