"""Server settings, read once from ``PMR_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "enhanced-pmr"


class Settings(BaseSettings):
    """Every tunable of the server; each field is read from ``PMR_<FIELD NAME>``."""

    model_config = SettingsConfigDict(env_prefix="PMR_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Folder for the SQLite file, generated secrets and exports.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; unset means the SQLite file pmr.sqlite3 in data_dir. "
        "PostgreSQL URLs use psycopg 3: postgresql+psycopg://user@host/db.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL for the report cache, job progress and rate-limit counters.",
    )
    redis_timeout_seconds: float = Field(
        default=0.5, gt=0, le=30, description="Time limit of one Redis command or connect."
    )
    report_cache_ttl_seconds: float = Field(
        default=600.0, gt=0, description="Lifetime of a cached report body in Redis."
    )
    report_cache_entries: int = Field(
        default=256, ge=0, description="Report bodies each replica caches without Redis."
    )
    rate_limit_window_seconds: int = Field(
        default=60, ge=1, le=3600, description="Length of the rate-limit counting window."
    )
    # The request limits guard against floods: a client polling a job in a tight loop over
    # loopback stays below them. Lower them for clients you do not trust.
    rate_limit_user_requests: int = Field(
        default=60000, ge=0, description="API requests per user and window; 0 means no limit."
    )
    rate_limit_ip_requests: int = Field(
        default=120000,
        ge=0,
        description="API requests per client address and window; 0 means no limit.",
    )
    rate_limit_user_websockets: int = Field(
        default=600, ge=0, description="New WebSockets per user and window; 0 means no limit."
    )
    rate_limit_ip_websockets: int = Field(
        default=3000,
        ge=0,
        description="New WebSockets per client address and window; 0 means no limit.",
    )
    rate_limits_enabled: bool = Field(
        default=True, description="Whether the four rate limits above apply at all."
    )
    forwarded_hops: int = Field(
        default=0,
        ge=0,
        le=10,
        description=(
            "Proxies in front of the server that append the client address to "
            "X-Forwarded-For; 0 counts the address of the connection's peer."
        ),
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="Log lines as text, or as JSON objects with report_id and job_id.",
    )
    jwt_secret: str | None = Field(
        default=None,
        description="HS256 secret for bearer tokens; unset means one generated into data_dir.",
    )
    token_ttl_hours: float = Field(default=12.0, gt=0, description="Lifetime of issued tokens.")
    host: str = Field(default="127.0.0.1", description="Address `pmr serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `pmr serve` listens on.")
    ray_address: str | None = Field(
        default=None, description="Ray cluster to join; unset starts a local Ray instance."
    )
    ray_namespace: str = Field(default="enhanced-pmr", description="Namespace of named actors.")
    ray_num_cpus: int | None = Field(
        default=None, ge=1, description="CPUs a local Ray instance may use; unset means all."
    )
    serve_replicas: int = Field(default=1, ge=1, description="Replicas of the API deployment.")
    # A replica mostly waits on sockets and actors. Reserving half a CPU for it left a
    # 2-core machine one CPU for simulation tasks, so they ran one at a time.
    serve_replica_cpus: float = Field(
        default=0.0, ge=0, description="CPUs each API replica reserves in Ray."
    )
    serve_max_ongoing_requests: int = Field(
        default=1000,
        ge=1,
        description="Requests, open WebSockets included, one API replica takes at once.",
    )
    haproxy_binary: str | None = Field(
        default=None,
        description="haproxy executable for Serve's HAProxy ingress; unset means look on "
        "PATH, 'off' means use Serve's default proxy.",
    )
    haproxy_threads: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Threads of each node's HAProxy. Serve's own default is 4.",
    )
    max_upload_bytes: int = Field(
        default=50 * 1024 * 1024, gt=0, description="Largest schedule file accepted, in bytes."
    )
    monte_carlo_iterations: int = Field(
        default=10_000, ge=100, le=1_000_000, description="Iterations of a report's simulation."
    )
    max_frame_bytes: int = Field(
        default=8 * 1024 * 1024,
        gt=0,
        description="Largest WebSocket frame accepted; larger ones close the socket with 1009.",
    )
    ws_send_queue_frames: int = Field(
        default=2000,
        ge=1,
        description="Frames waiting for one WebSocket before it counts as too slow (4429).",
    )
    actor_idle_timeout_seconds: float = Field(
        default=300.0, gt=0, description="Idle time before a report actor unloads."
    )
    actor_spares: int = Field(
        default=1,
        ge=0,
        le=64,
        description="Report actors kept started and idle, so that opening a report whose "
        "actor is not running skips the process start; 0 starts one on each open.",
    )
    llm_base_url: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1; "
        "unset means no language model: chat takes only the documented instructions.",
    )
    llm_model: str | None = Field(default=None, description="Model name sent to the API.")
    llm_api_key: SecretStr | None = Field(
        default=None, description="API key of the language model endpoint; never logged."
    )
    llm_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Seconds one language model request may take."
    )
    llm_max_retries: int = Field(
        default=2, ge=0, le=10, description="Retries after a timeout or server error."
    )
    llm_backoff_seconds: float = Field(
        default=0.5, ge=0, description="First retry delay; each later retry doubles it."
    )
    llm_max_response_bytes: int = Field(
        default=4 * 1024 * 1024,
        gt=0,
        description="Largest language model response read; a larger one is rejected.",
    )
    export_link_ttl_seconds: int = Field(
        default=900, ge=10, le=7 * 24 * 3600, description="Lifetime of signed download links."
    )
    export_logo_max_bytes: int = Field(
        default=1024 * 1024, gt=0, description="Largest logo accepted, uploaded or fetched."
    )
    export_logo_hosts: str = Field(
        default="",
        description="Comma-separated hosts logo_url may name; empty refuses every remote logo.",
    )
    export_logo_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60, description="Time limit of fetching a remote logo."
    )

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'pmr.sqlite3'}"


@lru_cache(maxsize=1)
def load_settings() -> Settings:
    """Read the settings from the environment once per process."""
    return Settings()
