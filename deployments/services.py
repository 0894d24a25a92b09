"""The objects a replica builds once at start and shares between requests."""

from __future__ import annotations

from dataclasses import dataclass

from actors import ReportGateway
from config import Settings
from deployments.auth import TokenService, token_service
from deployments.hub import ReportHub
from storage import (
    Database,
    JobRepository,
    ProjectRepository,
    ReportRepository,
    TemplateRepository,
    UserRepository,
)


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

    @classmethod
    def create(cls, settings: Settings, *, migrate: bool = False) -> Services:
        """Connect to the database and the actors.

        Migrations run once at the composition root (``pmr serve``), not in every replica,
        because concurrent schema upgrades of one database race each other.
        """
        database = Database(settings.sqlalchemy_url)
        if migrate:
            database.migrate()
        return cls(
            settings=settings,
            database=database,
            tokens=token_service(settings),
            projects=ProjectRepository(database),
            reports=ReportRepository(database),
            jobs=JobRepository(database),
            templates=TemplateRepository(database),
            users=UserRepository(database),
            gateway=ReportGateway(settings),
            hub=ReportHub(settings),
        )

    def close(self) -> None:
        self.database.dispose()
