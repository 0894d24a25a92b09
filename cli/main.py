"""The ``pmr`` command line: serve, import, generate, token, audit, demo."""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from config import Settings, load_settings
from config.logs import configure_logging

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _configure_logging(verbose: bool) -> None:
    try:
        settings = load_settings()
    except ValidationError:
        # The command itself reports invalid settings; log as text until then.
        settings = Settings.model_construct(log_format="text")
    configure_logging(settings, level=logging.DEBUG if verbose else logging.INFO)
    if not verbose:
        # Alembic announces every migration step at INFO.
        logging.getLogger("alembic").setLevel(logging.WARNING)


def _settings(**overrides: Any) -> Settings:
    try:
        base = load_settings()
    except ValidationError as error:
        problems = "; ".join(
            f"PMR_{'_'.join(str(part) for part in item['loc']).upper()}: {item['msg']}"
            for item in error.errors()
        )
        raise click.ClickException(f"invalid settings: {problems}") from error
    values = {key: value for key, value in overrides.items() if value is not None}
    return base.model_copy(update=values) if values else base


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages to standard error.")
def main(verbose: bool) -> None:
    """Enhanced PMR: monthly project reports with earned value, risk and live co-editing."""
    _configure_logging(verbose)


@main.command()
@click.option("--host", help="Address to listen on (default: PMR_HOST or 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default: PMR_PORT or 8000).")
def serve(host: str | None, port: int | None) -> None:
    """Start the API server and block until interrupted."""
    from cli.serving import run_server

    run_server(_settings(host=host, port=port))


@main.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def import_command(file: Path, as_json: bool) -> None:
    """Import a schedule file (XER, MSPDI XML or JSON) into the database."""
    from cli.importing import import_file, print_summary

    summary = import_file(_settings(), file)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        print_summary(summary)


def _check_month(context: click.Context, parameter: click.Parameter, month: str) -> str:
    if not _MONTH.fullmatch(month):
        raise click.BadParameter(f"expected a month as YYYY-MM, got {month!r}", context, parameter)
    return month


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--month", required=True, callback=_check_month, help="Reporting month as YYYY-MM.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the report JSON here instead of standard output.",
)
def generate(file: Path, month: str, out: Path | None) -> None:
    """Import a schedule and generate its monthly report on a local Ray instance."""
    from cli.generating import generate_report

    report = generate_report(_settings(), file, month)
    text = json.dumps(report, indent=2)
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        click.echo(f"report {report['id']} written to {out}", err=True)


@main.group()
def token() -> None:
    """Bearer tokens for the API."""


def _check_email(context: click.Context, parameter: click.Parameter, email: str) -> str:
    # Checked before the database is opened, so a mistyped address creates nothing.
    from storage import InvalidData, normalise_email

    try:
        normalise_email(email)
    except InvalidData as error:
        raise click.BadParameter(str(error), context, parameter) from error
    return email


@token.command(name="create")
@click.option(
    "--user",
    "email",
    required=True,
    callback=_check_email,
    help="E-mail address the token is issued to.",
)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "project_manager", "editor", "viewer"]),
    help="Role the token grants.",
)
def token_create(email: str, role: str) -> None:
    """Print a bearer token, alone on standard output."""
    from cli.tokens import create_token

    click.echo(create_token(_settings(), email, role))


@main.group()
def audit() -> None:
    """The audit log of changes and exports."""


@audit.command(name="verify")
def audit_verify() -> None:
    """Check the audit log's hash chain; exit with 1 and name each changed or missing entry."""
    from cli.audit import describe, verify_chain

    verdict = verify_chain(_settings())
    for line in describe(verdict):
        click.echo(line)
    if not verdict.intact:
        sys.exit(1)


@main.command()
@click.option("--host", help="Address to listen on (default: PMR_HOST or 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default: PMR_PORT or 8000).")
@click.option(
    "--exit", "exit_after", is_flag=True, help="Stop the server once the report is ready."
)
def demo(host: str | None, port: int | None, exit_after: bool) -> None:
    """Serve, import the bundled sample project over the API, generate its report."""
    from cli.demo import run_demo

    run_demo(_settings(host=host, port=port), keep_serving=not exit_after)


if __name__ == "__main__":
    main()
