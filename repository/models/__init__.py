"""All SQLAlchemy models, on one ``Base.metadata`` (house style: one place, lazy="raise").

Tables: users, api_tokens, materials, material_files, derivatives, audit_events, jobs,
material_versions, review_comments, integrity_issues, fingerprints, uploads, sign_in_throttle,
job_workers.
"""

from repository.models.audit import AuditEvent
from repository.models.base import utcnow
from repository.models.curation import IntegrityIssue, MaterialVersion, ReviewComment
from repository.models.fingerprint import Fingerprint
from repository.models.job import Job, JobStatus, JobWorker
from repository.models.material import (
    Derivative,
    IngestStatus,
    Material,
    MaterialFile,
    WorkflowState,
)
from repository.models.upload import Upload
from repository.models.user import ApiToken, Role, SignInThrottle, User

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Derivative",
    "Fingerprint",
    "IngestStatus",
    "IntegrityIssue",
    "Job",
    "JobStatus",
    "JobWorker",
    "Material",
    "MaterialFile",
    "MaterialVersion",
    "ReviewComment",
    "Role",
    "SignInThrottle",
    "Upload",
    "User",
    "WorkflowState",
    "utcnow",
]
