"""The ``pmr`` command run as a user runs it: a separate process with its own settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

PMR = [sys.executable, "-m", "cli"]


def run_pmr(data_dir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PMR_DATA_DIR": str(data_dir)}
    environment.pop("PMR_DATABASE_URL", None)
    return subprocess.run(
        [*PMR, *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        check=False,
    )


def test_import_json_matches_real_file(tmp_path: Path, shared_data: Path) -> None:
    xer = shared_data / "schedules" / "sp10-cost-loaded.xer"

    result = run_pmr(tmp_path, "import", str(xer), "--json")

    summary = json.loads(result.stdout)
    assert result.returncode == 0, result.stderr
    assert summary["activities"] == 3994
    assert summary["relationships"] == 5966
    assert summary["currency"] == "GBP"
    assert summary["data_date"] == "2017-09-16"
    assert summary["budget_at_completion"] == pytest.approx(215_918_496.4101, abs=0.005)
    assert summary["actual_cost"] == pytest.approx(16_001_858.5962, abs=0.005)
    assert all({"code", "message"} <= set(warning) for warning in summary["warnings"])
    assert (tmp_path / "pmr.sqlite3").exists()


def test_import_of_bad_file_fails_with_reason(tmp_path: Path) -> None:
    bad = tmp_path / "notes.xer"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n")

    result = run_pmr(tmp_path, "import", str(bad), "--json")

    assert result.returncode == 1
    assert result.stdout == ""
    assert "unsupported_format" in result.stderr


def test_token_create_prints_only_the_token(tmp_path: Path) -> None:
    result = run_pmr(tmp_path, "token", "create", "--user", "ann@example.com", "--role", "editor")

    token = result.stdout.strip()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    assert claims["sub"] == "ann@example.com"
    assert claims["role"] == "editor"


def test_token_create_rejects_unknown_role(tmp_path: Path) -> None:
    result = run_pmr(tmp_path, "token", "create", "--user", "ann@example.com", "--role", "owner")

    assert result.returncode == 2
    assert "'owner' is not one of" in result.stderr


def test_token_create_rejects_invalid_email(tmp_path: Path) -> None:
    result = run_pmr(tmp_path, "token", "create", "--user", "ann", "--role", "editor")

    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "Invalid value for '--user'" in result.stderr
    assert "email address 'ann' is invalid" in result.stderr
    assert not (tmp_path / "pmr.sqlite3").exists()


def test_generate_writes_report(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parents[2] / "schedules" / "samples" / "sample-project.json"
    out = tmp_path / "report.json"

    result = run_pmr(tmp_path, "generate", str(sample), "--month", "2025-07", "--out", str(out))

    report = json.loads(out.read_text())
    assert result.returncode == 0, result.stderr[-2000:]
    assert report["status"] == "completed"
    assert len(report["sections"]) == 4
    assert len(report["ai_insights"]) >= 3
    assert set(report["monte_carlo_analysis"]["budget_completion"]) == {"p50", "p80", "p95"}


def test_generate_wrong_month_stores_nothing(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parents[2] / "schedules" / "samples" / "sample-project.json"

    result = run_pmr(tmp_path, "generate", str(sample), "--month", "2025-09")

    assert result.returncode == 1
    assert "report month 2025-09 is after the project's data date 2025-07-31" in result.stderr
    assert not (tmp_path / "pmr.sqlite3").exists(), "the project was stored"


@pytest.mark.parametrize("month", ["2025-7", "07-2025", "2025-13", "July"])
def test_generate_rejects_malformed_month(tmp_path: Path, month: str) -> None:
    sample = Path(__file__).resolve().parents[2] / "schedules" / "samples" / "sample-project.json"

    result = run_pmr(tmp_path, "generate", str(sample), "--month", month)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"Invalid value for '--month': expected a month as YYYY-MM, got {month!r}" in (
        result.stderr
    )
    assert not (tmp_path / "pmr.sqlite3").exists(), "the project was stored"


def test_stopping_message_covers_stop_limit() -> None:
    from cli.serving import stopping_message
    from deployments import server

    message = stopping_message()

    assert server.MAX_STOP_SECONDS >= 30 + server._CONTROLLER_EXIT_SECONDS
    assert f"After {server.MAX_STOP_SECONDS:.0f} s" in message
