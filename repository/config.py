"""Settings: one class, environment variables prefixed ``HOCLIEU_``.

The defaults give the embedded mode: everything under ``HOCLIEU_DATA_DIR`` (SQLite database, blobs,
search index), jobs run by an in-process worker. Setting ``HOCLIEU_DATABASE_URL``,
``HOCLIEU_REDIS_URL``, ``HOCLIEU_OPENSEARCH_URL`` and ``HOCLIEU_S3_*`` moves each part to its
server for the scale stack. Every field carries a description; ``tests/repository/test_config.py``
checks that each one is also documented in README.md.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-insecure-change-me"
MIN_SECRET_BYTES = 32

Environment = Literal["development", "testing", "production"]


def _env_file() -> str:
    # `.env` in development, `.env.testing` under HOCLIEU_ENV=testing, `.env.production` ...
    env = os.environ.get("HOCLIEU_ENV", "development")
    return ".env" if env == "development" else f".env.{env}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HOCLIEU_", env_file=_env_file(), env_file_encoding="utf-8", extra="ignore"
    )

    env: Environment = Field(
        "development",
        description="Deployment environment: development, testing or production. Production refuses "
        "default secrets.",
    )
    data_dir: Path = Field(
        Path("./data"),
        description="Folder for the embedded mode: SQLite database, blobs, search index, job state.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database. Unset: SQLite in DATA_DIR. At scale: "
        "postgresql+psycopg://user:pass@host/db.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL for RQ workers (scale). Unset: jobs run in-process from the database queue.",
    )
    opensearch_url: str | None = Field(
        None, description="OpenSearch URL (scale). Unset: the embedded Tantivy index in DATA_DIR."
    )
    tika_url: str | None = Field(
        None, description="Apache Tika server URL. Unset: the in-process native Tika build (iscc-tika)."
    )
    s3_endpoint_url: str | None = Field(
        None,
        description="S3-compatible endpoint for blobs (scale). Unset with `S3_BUCKET` unset: blobs on "
        "local disk. Unset with a bucket: AWS S3.",
    )
    s3_bucket: str | None = Field(
        None,
        description="S3 bucket holding blobs (scale); setting it moves blobs to S3 (created on first "
        "start).",
    )
    s3_access_key: str | None = Field(
        None, description="S3 access key id (scale). Unset: boto3's usual credential chain."
    )
    s3_secret_key: str | None = Field(None, description="S3 secret access key (scale).")
    s3_region: str = Field("us-east-1", description="S3 region name (scale).")
    secret_key: str = Field(
        DEFAULT_SECRET,
        description="Key of the HMACs in CSRF form tokens and OAI-PMH resumption tokens (session cookies "
        "are random tokens checked against the database, not signed). Production refuses to start "
        "with the default or one shorter than 32 bytes; changing it invalidates open forms and "
        "harvests in progress.",
    )
    max_upload_bytes: int = Field(
        2 * 1024**3, description="Largest accepted file in one upload, in bytes (larger gets HTTP 413)."
    )
    token_ttl_hours: int = Field(24 * 30, description="Lifetime of API bearer tokens, in hours.")
    base_url: str = Field(
        "http://127.0.0.1:8000", description="Public base URL, used in links written into metadata exports."
    )
    in_process_worker: bool = Field(
        True,
        description="Run the ingest queue inside `hoclieu serve` when no Redis is configured (embedded "
        "mode). With the embedded search index, `serve` is always its indexer whatever this says.",
    )
    job_heartbeat_s: float = Field(
        10.0, description="How often a worker running a job reports that it is alive, in seconds."
    )
    job_stale_after_s: float = Field(
        30.0,
        description="A running job with no heartbeat for this long (three missed heartbeats) is presumed "
        "dead (worker killed) and runs again; at least twice JOB_HEARTBEAT_S, so a slow live job is never "
        "taken over.",
    )
    admin_email: str | None = Field(
        None,
        description="The operator's contact address, published by OAI-PMH Identify. "
        "Unset: oai-admin@ the BASE_URL host.",
    )
    log_level: str = Field("INFO", description="Python logging level.")
    signing_key_file: Path | None = Field(
        None,
        description="Ed25519 private key (PEM, PKCS#8) that signs approvals. Unset: DATA_DIR/keys/"
        "approval-ed25519.pem, created on first use (mode 0600).",
    )
    signin_max_failures: int = Field(
        5, description="Failed sign-ins for one username before it is locked out for a while."
    )
    signin_lockout_minutes: int = Field(
        15, description="How long repeated failed sign-ins lock a username out, in minutes."
    )
    spool_dir: Path | None = Field(
        None,
        description="Local scratch folder for upload staging and resumable parts when blobs are on S3 "
        "(bounded: partial uploads only). Unset: DATA_DIR/spool.",
    )
    s3_public_base_url: str | None = Field(
        None,
        description="Base URL under which public approved blobs are served as-is (a CDN or public-read "
        "bucket, object key appended). Unset: public downloads redirect to presigned URLs (S3_DOWNLOADS).",
    )
    s3_downloads: Literal["presigned", "proxy"] = Field(
        "presigned",
        description="How downloads of blobs on S3 are served: `presigned` redirects to a short-lived "
        "presigned URL, `proxy` streams through the web process.",
    )
    metrics_token: str | None = Field(
        None,
        description="Bearer token that /metrics requires (Prometheus `authorization` credentials). Unset: "
        "/metrics is open; restrict it at the proxy.",
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="Log line format: `text` for people, `json` (one object per line) for log collectors.",
    )
    s3_presign_ttl_s: int = Field(
        300, ge=10, le=7 * 24 * 3600, description="Lifetime of presigned download URLs, in seconds."
    )
    signin_max_failures_per_address: int = Field(
        50,
        description="Failed sign-ins from one client address (any usernames) before it is locked out "
        "for SIGNIN_LOCKOUT_MINUTES; higher than per username because a school shares one address.",
    )
    max_json_body_bytes: int = Field(
        1024 * 1024,
        description="Largest request body that is not a file upload (JSON, forms), in bytes; counted while "
        "it streams, before authentication (larger gets HTTP 413).",
    )
    max_upload_parts: int = Field(
        100, description="Most parts (files and fields) in one multipart upload (more gets HTTP 413)."
    )
    upload_idle_timeout_s: float = Field(
        60.0,
        description="An upload whose bytes stop arriving for this long is abandoned (multipart: HTTP 400, "
        "nothing staged is kept; resumable: the received part is kept).",
    )
    user_quota_bytes: int = Field(
        20 * 1024**3,
        description="Storage one account may use for its uploaded files and unfinished resumable uploads, "
        "in bytes (0: no quota). Going over gets HTTP 507 with what is used and allowed.",
    )
    content_origin: str | None = Field(
        None,
        description="Origin (scheme://host[:port]) that plays e-lecture packages and HTML lessons, "
        "apart from the portal so their scripts never run with a user's session. Unset: `hoclieu "
        "serve` listens on a second port for it (localhost when the portal is on 127.0.0.1).",
    )
    frame_ancestors: str = Field(
        "'self'",
        description="CSP frame-ancestors of portal pages: the sites allowed to embed them (space-separated "
        "origins, e.g. LTI platforms).",
    )
    search_cache_size: int = Field(
        1024,
        description="Search results kept in memory per process, keyed by the normalised query, its filters "
        "and the index revision (never stale). 0 turns the cache off. Embedded index only.",
    )
    oauth_token_ttl_s: int = Field(
        3600,
        description="Lifetime of the bearer tokens API clients get from POST /api/v1/oauth/token, "
        "in seconds.",
    )
    rate_limit_client_per_minute: int = Field(
        1200,
        description="Requests per minute for each API client or signed-in token (token bucket; bursts "
        "up to a minute's worth). 0 turns the limit off.",
    )
    rate_limit_anonymous_per_minute: int = Field(
        600,
        description="Requests per minute for each anonymous IP address (token bucket). "
        "0 turns the limit off.",
    )
    webhook_timeout_s: float = Field(
        10.0, description="How long a webhook receiver may take to answer, in seconds."
    )
    webhook_max_attempts: int = Field(
        6,
        description="Attempts per webhook event before its delivery is marked failed "
        "(re-send starts again).",
    )
    webhook_backoff_s: float = Field(
        30.0,
        description="Wait before the first webhook retry, in seconds; each later retry waits "
        "twice as long.",
    )
    lti_key_file: Path | None = Field(
        None,
        description="RSA private key (PEM) that signs Hoclieu's LTI 1.3 messages; its public half is at "
        "/lti/jwks. Unset: DATA_DIR/keys/lti-rsa.pem, created on first use (mode 0600).",
    )
    lti_launch_ttl_s: int = Field(
        600,
        description="How long an LTI login may take to come back as a launch (and a deep-link pick), "
        "in seconds.",
    )
    stats_enabled: bool = Field(
        True,
        description="Record usage statistics (views, plays, downloads, searches; no personal data). "
        "false records nothing; the statistics pages still show what was recorded.",
    )
    stats_retention_days: int = Field(
        30,
        ge=1,
        le=3660,
        description="Days the raw usage events are kept (the daily counts made from them are kept "
        "for good); only days already counted after they ended are deleted.",
    )
    stats_flush_s: float = Field(
        1.0,
        gt=0,
        le=60,
        description="How often each web process writes the usage events it buffered, in seconds "
        "(a crash loses at most this much counting; requests never wait for the write).",
    )
    stats_aggregate_every_s: float = Field(
        600,
        gt=0,
        description="How often the daily counts are brought up to date from the raw events (a job "
        "on the default queue), in seconds.",
    )
    stats_min_query_searches: int = Field(
        2,
        ge=1,
        description="A search text appears in the statistics only when at least this many searches "
        "(one per visitor and day) made it in the period: a text typed once may name a person.",
    )

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError(
                "HOCLIEU_SECRET_KEY must be set to a long random value in production "
                "(the default secret is only for development)"
            )
        if self.env == "production" and len(self.secret_key.encode("utf-8")) < MIN_SECRET_BYTES:
            # HMAC-SHA256 keys (sessions, CSRF) shorter than the hash are guessable offline.
            raise ValueError(
                f"HOCLIEU_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes in production "
                "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return self

    @model_validator(mode="after")
    def _stale_after_two_heartbeats(self) -> Settings:
        # One late heartbeat (a busy database, a GC pause) must not hand a live job to another worker.
        if self.job_stale_after_s < 2 * self.job_heartbeat_s:
            raise ValueError(
                f"HOCLIEU_JOB_STALE_AFTER_S ({self.job_stale_after_s:g}) must be at least twice "
                f"HOCLIEU_JOB_HEARTBEAT_S ({self.job_heartbeat_s:g}); e.g. 3 x the heartbeat"
            )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'hoclieu.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def spool(self) -> Path:
        return self.spool_dir or self.data_dir / "spool"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"


@lru_cache
def get_settings() -> Settings:
    return Settings()
