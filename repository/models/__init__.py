"""All SQLAlchemy models, on one ``Base.metadata`` (house style: one place, lazy="raise").

Tables: users, api_tokens, materials, material_files, derivatives, audit_events, jobs,
material_versions, review_comments, integrity_issues, fingerprints, uploads, sign_in_throttle,
job_workers, api_clients, webhook_subscriptions, webhook_deliveries, lti_platforms, lti_launches,
study_progress.
"""

from repository.models.audit import AuditEvent
from repository.models.base import utcnow
from repository.models.client import ApiClient, WebhookDelivery, WebhookSubscription
from repository.models.curation import IntegrityIssue, MaterialVersion, ReviewComment
from repository.models.fingerprint import Fingerprint
from repository.models.job import Job, JobStatus, JobWorker
from repository.models.lti import LtiLaunch, LtiPlatform
from repository.models.material import (
    Derivative,
    IngestStatus,
    Material,
    MaterialFile,
    WorkflowState,
)
from repository.models.progress import StudyProgress
from repository.models.upload import Upload
from repository.models.user import ApiToken, Role, SignInThrottle, User

__all__ = [
    "ApiClient",
    "ApiToken",
    "AuditEvent",
    "Derivative",
    "Fingerprint",
    "IngestStatus",
    "IntegrityIssue",
    "Job",
    "JobStatus",
    "JobWorker",
    "LtiLaunch",
    "LtiPlatform",
    "Material",
    "MaterialFile",
    "MaterialVersion",
    "ReviewComment",
    "Role",
    "SignInThrottle",
    "StudyProgress",
    "Upload",
    "User",
    "WebhookDelivery",
    "WebhookSubscription",
    "WorkflowState",
    "utcnow",
]
