"""The browser page for live co-editing of a report."""

from deployments.web.page import router

__all__ = ["router"]
