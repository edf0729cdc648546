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
        None, description="S3-compatible endpoint for blobs (scale). Unset: blobs on local disk."
    )
    s3_bucket: str | None = Field(None, description="S3 bucket holding blobs (scale).")
    s3_access_key: str | None = Field(None, description="S3 access key id (scale).")
    s3_secret_key: str | None = Field(None, description="S3 secret access key (scale).")
    s3_region: str = Field("us-east-1", description="S3 region name (scale).")
    secret_key: str = Field(
        DEFAULT_SECRET,
        description="Secret for signing session cookies and CSRF tokens. Must be set outside development.",
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
        description="Run queued jobs inside `hoclieu serve` when no Redis is configured (embedded mode).",
    )
    job_heartbeat_s: float = Field(
        10.0, description="How often a worker running a job reports that it is alive, in seconds."
    )
    job_stale_after_s: float = Field(
        300.0,
        description="A running job with no heartbeat for this long is presumed dead (worker killed) and runs again.",
    )
    admin_email: str | None = Field(
        None,
        description="The operator's contact address, published by OAI-PMH Identify. Unset: oai-admin@ the BASE_URL host.",
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

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError(
                "HOCLIEU_SECRET_KEY must be set to a long random value in production "
                "(the default secret is only for development)"
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
    def index_dir(self) -> Path:
        return self.data_dir / "index"


@lru_cache
def get_settings() -> Settings:
    return Settings()
