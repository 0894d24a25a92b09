from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import ray
import yaml

CONFIG = Path(__file__).resolve().parents[2] / "ray_cluster.yaml"


def load_schema() -> dict[str, Any]:
    schema_path = Path(ray.__file__).parent / "autoscaler" / "ray-schema.json"
    schema: dict[str, Any] = json.loads(schema_path.read_text())
    return schema


def load_config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(CONFIG.read_text())
    return config


def test_cluster_config_matches_ray_schema() -> None:
    config = load_config()

    jsonschema.validate(config, load_schema())


def test_cluster_config_has_head_and_autoscaling_workers() -> None:
    config = load_config()

    node_types = config["available_node_types"]
    worker = node_types["worker"]
    assert config["head_node_type"] in node_types
    assert worker["max_workers"] > worker["min_workers"]
    assert worker["max_workers"] <= config["max_workers"]


def test_cluster_config_starts_the_api_on_the_head() -> None:
    config = load_config()

    commands = " ".join(config["head_start_ray_commands"])
    assert "pmr serve" in commands
