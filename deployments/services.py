"""The objects a replica builds once at start and shares between requests."""

from __future__ import annotations

from dataclasses import dataclass

from actors import ReportGateway
from actors.job_events import job_observer
from config import Settings
from deployments.auth import TokenService, token_service
from deployments.hub import ReportHub
from storage import (
    AuditRepository,
    Database,
    JobRepository,
    ProjectRepository,
    ReportRepository,
    TemplateRepository,
    UserRepository,
)
from storage.cache import ReportCache
from storage.counters import WindowCounter
from storage.job_progress import JobProgressChannel
from storage.redis_link import RedisLink, shared_link


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    database: Database
    tokens: TokenService
    projects: ProjectRepository
    reports: ReportRepository
    jobs: JobRepository
    templates: TemplateRepository
    users: UserRepository
    gateway: ReportGateway
    hub: ReportHub
    audit: AuditRepository
    # Redis when PMR_REDIS_URL is set: the cache, counters and progress fall back without it.
    redis: RedisLink | None
    report_cache: ReportCache
    rate_counter: WindowCounter
    job_progress: JobProgressChannel | None

    @classmethod
    def create(cls, settings: Settings, *, migrate: bool = False) -> Services:
        """Connect to the database and the actors.

        Migrations run once at the composition root (``pmr serve``), not in every replica,
        because concurrent schema upgrades of one database race each other.
        """
        database = Database(settings.sqlalchemy_url)
        if migrate:
            database.migrate()
        redis = None
        if settings.redis_url:
            redis = shared_link(settings.redis_url, settings.redis_timeout_seconds)
        return cls(
            settings=settings,
            database=database,
            tokens=token_service(settings),
            projects=ProjectRepository(database),
            reports=ReportRepository(database),
            jobs=JobRepository(database, on_change=job_observer(settings)),
            templates=TemplateRepository(database),
            users=UserRepository(database),
            gateway=ReportGateway(settings),
            hub=ReportHub(settings),
            audit=AuditRepository(database),
            redis=redis,
            report_cache=ReportCache(
                redis,
                local_entries=settings.report_cache_entries,
                ttl_seconds=settings.report_cache_ttl_seconds,
            ),
            rate_counter=WindowCounter(redis, window_seconds=settings.rate_limit_window_seconds),
            job_progress=JobProgressChannel(redis) if redis is not None else None,
        )

    def close(self) -> None:
        self.database.dispose()
        if self.redis is not None:
            self.redis.close_sync()
