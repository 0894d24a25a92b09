"""Exports of a report to PDF, Excel and slides, with the checks each file passes.

No Ray and no database here: ``export_report`` takes the report document and the
project's figures and returns a checked file; actors.export_job runs it as a task.
"""

from exports.branding import Branding, Logo
from exports.errors import (
    ExportError,
    LogoError,
    LogoTooLargeError,
    LogoTypeError,
    OptionsError,
    QualityCheckError,
    RenderError,
    UrlPolicyError,
)
from exports.logos import check_logo, logo_from_data_url
from exports.palettes import PALETTES, palette
from exports.project_data import ProjectData, project_data
from exports.remote import RemotePolicy, fetch_logo_bytes
from exports.render import ExportFile, ExportFormat, ExportRequest, export_report
from exports.styling import Styling, parse_styling

__all__ = [
    "PALETTES",
    "Branding",
    "ExportError",
    "ExportFile",
    "ExportFormat",
    "ExportRequest",
    "Logo",
    "LogoError",
    "LogoTooLargeError",
    "LogoTypeError",
    "OptionsError",
    "ProjectData",
    "QualityCheckError",
    "RemotePolicy",
    "RenderError",
    "Styling",
    "UrlPolicyError",
    "check_logo",
    "export_report",
    "fetch_logo_bytes",
    "logo_from_data_url",
    "palette",
    "parse_styling",
    "project_data",
]
