"""All SQLAlchemy models, on one ``Base.metadata`` (house style: one place, lazy="raise").

Tables: users, api_tokens, materials, material_files, derivatives, audit_events, jobs,
material_versions, review_comments, integrity_issues, fingerprints, uploads, sign_in_throttle,
job_workers, api_clients, webhook_subscriptions, webhook_deliveries, lti_platforms, lti_launches,
organisations, organisation_members, usage_events, stats_salts, stats_daily, stats_daily_facets,
stats_search_daily, stats_days, study_progress.
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
from repository.models.organisation import (
    MemberRole,
    Organisation,
    OrganisationKind,
    OrganisationMember,
)
from repository.models.progress import StudyProgress
from repository.models.stats import (
    StatsDaily,
    StatsDailyFacet,
    StatsDay,
    StatsSalt,
    StatsSearchDaily,
    UsageEvent,
    UsageKind,
)
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
    "MemberRole",
    "Organisation",
    "OrganisationKind",
    "OrganisationMember",
    "ReviewComment",
    "Role",
    "SignInThrottle",
    "StatsDaily",
    "StatsDailyFacet",
    "StatsDay",
    "StatsSalt",
    "StatsSearchDaily",
    "StudyProgress",
    "Upload",
    "UsageEvent",
    "UsageKind",
    "User",
    "WebhookDelivery",
    "WebhookSubscription",
    "WorkflowState",
    "utcnow",
]
