"""deploy/k8s: the manifests agree with each other and with Settings.

Nothing applies them in a test cluster, so what can silently break is checked here: every
listed resource exists, the workers are a StatefulSet whose every pod gets a volume of its own
at the state directory (RocksDB keeps its tables across reschedules), the headless Service it
names and the PodDisruptionBudget select its pods, and every ConfigMap key is a real setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # no stubs installed; only safe_load is used

from recall.config import Settings

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"


def _load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((K8S / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def worker() -> dict[str, Any]:
    return _load("worker-statefulset.yaml")


@pytest.fixture(scope="module")
def config() -> dict[str, str]:
    data = _load("configmap.yaml")["data"]
    assert isinstance(data, dict)
    return data


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def test_every_kustomization_resource_exists() -> None:
    resources = _load("kustomization.yaml")["resources"]
    assert "worker-statefulset.yaml" in resources
    for name in resources:
        assert (K8S / name).is_file(), name


def test_the_workers_are_a_statefulset_with_a_volume_per_pod(
    worker: dict[str, Any], config: dict[str, str]
) -> None:
    assert worker["kind"] == "StatefulSet"
    spec = worker["spec"]
    assert spec["podManagementPolicy"] == "Parallel"
    claims = {claim["metadata"]["name"]: claim for claim in spec["volumeClaimTemplates"]}
    assert "state" in claims
    assert claims["state"]["spec"]["accessModes"] == ["ReadWriteOnce"]
    pod = spec["template"]["spec"]
    # The claim, not a pod volume of the same name (an emptyDir would shadow it: lost on reschedule)
    assert "state" not in {volume["name"] for volume in pod["volumes"]}
    (container,) = pod["containers"]
    mounts = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    assert mounts["state"] == config["RECALL_STATE_DIR"]


def test_the_statefulset_service_and_budget_select_the_worker_pods(
    worker: dict[str, Any],
) -> None:
    labels = worker["spec"]["template"]["metadata"]["labels"]
    assert _matches(worker["spec"]["selector"]["matchLabels"], labels)
    service = _load("service.yaml")
    assert service["metadata"]["name"] == worker["spec"]["serviceName"]
    assert service["spec"]["clusterIP"] == "None"  # headless: one DNS name per pod
    assert _matches(service["spec"]["selector"], labels)
    budget = _load("pdb.yaml")
    assert _matches(budget["spec"]["selector"]["matchLabels"], labels)


def test_every_configmap_key_is_a_setting(config: dict[str, str]) -> None:
    fields = set(Settings.model_fields)
    aliases = {"KAFKA_BOOTSTRAP_SERVERS"}
    for key in config:
        assert key in aliases or key.removeprefix("RECALL_").lower() in fields, key


def test_the_configmap_keeps_a_standby_per_survivor_and_a_partition_for_every_worker(
    worker: dict[str, Any], config: dict[str, str]
) -> None:
    """Standbys are replicas - 1, so every survivor holds a warm copy of a dead worker's
    partitions (docs/deploy.md); the setting's own default stays 0 (one worker has no peer)."""
    settings = Settings.model_validate(
        {
            "table_standby_replicas": config["RECALL_TABLE_STANDBY_REPLICAS"],
            "topic_partitions": config["RECALL_TOPIC_PARTITIONS"],
        }
    )
    assert settings.table_standby_replicas == worker["spec"]["replicas"] - 1
    assert Settings().table_standby_replicas == 0
    assert settings.topic_partitions >= worker["spec"]["replicas"]
