"""The KubeRay RayService manifest: its structure, its Serve application and its resources.

Without the KubeRay CRD at hand, the tests check the fields the RayService v1 schema
requires and the values this deployment depends on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import ray
import yaml
from ray.serve.schema import ServeDeploySchema

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "kuberay-rayservice.yaml"
RESOURCE_NAMES = ("cpu", "memory")
SECRET_VARIABLES = ("PMR_DATABASE_URL", "PMR_JWT_SECRET", "PMR_REDIS_URL")


def load_yaml(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    return document


def cluster_spec() -> dict[str, Any]:
    spec: dict[str, Any] = load_yaml(MANIFEST)["spec"]["rayClusterConfig"]
    return spec


def containers() -> dict[str, dict[str, Any]]:
    """Return the head's and each worker group's first container by group name."""
    spec = cluster_spec()
    found = {"head": spec["headGroupSpec"]["template"]["spec"]["containers"][0]}
    for group in spec["workerGroupSpecs"]:
        found[group["groupName"]] = group["template"]["spec"]["containers"][0]
    return found


def test_manifest_is_a_rayservice() -> None:
    manifest = load_yaml(MANIFEST)

    assert manifest["apiVersion"] == "ray.io/v1"
    assert manifest["kind"] == "RayService"
    assert manifest["metadata"]["name"]
    assert {"serveConfigV2", "rayClusterConfig"} <= set(manifest["spec"])


def test_manifest_serve_config_matches_serve_schema() -> None:
    serve_config = yaml.safe_load(load_yaml(MANIFEST)["spec"]["serveConfigV2"])

    schema = ServeDeploySchema.model_validate(serve_config)

    assert [application.name for application in schema.applications] == ["pmr"]


def test_manifest_serves_the_config_file_application() -> None:
    serve_config = yaml.safe_load(load_yaml(MANIFEST)["spec"]["serveConfigV2"])

    config_file = load_yaml(ROOT / "serve_config.yaml")

    assert serve_config["applications"] == config_file["applications"]


def test_manifest_ray_version_matches_installed_ray() -> None:
    spec = cluster_spec()

    assert spec["rayVersion"] == ray.__version__


def test_manifest_head_and_workers_have_templates() -> None:
    spec = cluster_spec()

    head = spec["headGroupSpec"]
    workers = spec["workerGroupSpecs"]

    assert "rayStartParams" in head
    assert head["template"]["spec"]["containers"]
    assert workers
    for group in workers:
        assert {"groupName", "minReplicas", "maxReplicas", "template"} <= set(group)
        assert group["template"]["spec"]["containers"], group["groupName"]


def test_manifest_workers_autoscale_as_launcher_config() -> None:
    spec = cluster_spec()
    launcher = load_yaml(ROOT / "ray_cluster.yaml")

    group = spec["workerGroupSpecs"][0]
    launcher_workers = launcher["available_node_types"]["worker"]

    assert spec["enableInTreeAutoscaling"] is True
    assert group["minReplicas"] <= group["replicas"] <= group["maxReplicas"]
    assert group["minReplicas"] < group["maxReplicas"]
    assert group["minReplicas"] == launcher_workers["min_workers"]
    assert group["maxReplicas"] == launcher_workers["max_workers"]
    idle_seconds = spec["autoscalerOptions"]["idleTimeoutSeconds"]
    assert idle_seconds == launcher["idle_timeout_minutes"] * 60


@pytest.mark.parametrize("group", ["head", "workers"])
def test_manifest_container_reserves_what_it_limits(group: str) -> None:
    resources = containers()[group]["resources"]

    requests = resources["requests"]
    limits = resources["limits"]

    for name in RESOURCE_NAMES:
        assert name in limits, f"{group} has no {name} limit"
        assert requests.get(name) == limits[name], f"{group} {name} request differs from limit"


@pytest.mark.parametrize("group", ["head", "workers"])
def test_manifest_container_takes_secrets_from_a_secret(group: str) -> None:
    environment = {entry["name"]: entry for entry in containers()[group]["env"]}

    for variable in SECRET_VARIABLES:
        assert variable in environment, f"{group} lacks {variable}"
        assert "value" not in environment[variable], f"{group} {variable} is written inline"
        assert "secretKeyRef" in environment[variable]["valueFrom"]


def test_manifest_head_exposes_serve_port() -> None:
    serve_config = load_yaml(ROOT / "serve_config.yaml")

    ports = {port["name"]: port["containerPort"] for port in containers()["head"]["ports"]}

    assert ports["serve"] == serve_config["http_options"]["port"]
