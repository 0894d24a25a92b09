"""Sample schedules shipped with the package, for demonstrations and tests."""

from __future__ import annotations

from importlib.resources import files

SAMPLE_PROJECT_FILE = "sample-project.json"


def sample_project_bytes() -> bytes:
    """Return the bundled Riverside Footbridge project in the JSON project format."""
    return files(__name__).joinpath(SAMPLE_PROJECT_FILE).read_bytes()
