"""deploy/: the Kubernetes manifests are valid (offline, strict) and say
what we rely on; the alert rules are well formed and only use metrics the
app exports."""

import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from django.conf import settings

DEPLOY = Path(settings.BASE_DIR) / "deploy"
MANIFESTS = sorted((DEPLOY / "k8s").glob("*.yaml"))


def resources() -> list[dict]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def named(kind: str, name: str) -> dict:
    return next(doc for doc in resources() if doc["kind"] == kind and doc["metadata"]["name"] == name)


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda path: path.name)
def test_manifest_is_valid_kubernetes(path):
    for doc in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


def test_web_nodes_are_probed_on_readyz_and_healthz_and_read_the_secret():
    container = named("Deployment", "pedometer-web")["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"secretRef": {"name": "pedometer-env"}} in container["envFrom"]
    assert "--timeout-graceful-shutdown" in container["command"]


def test_every_container_has_resources_and_the_env_secret():
    for deployment in (doc for doc in resources() if doc["kind"] == "Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert container["resources"]["requests"], deployment["metadata"]["name"]
            assert container["resources"]["limits"]["memory"], deployment["metadata"]["name"]
            assert {"secretRef": {"name": "pedometer-env"}} in container["envFrom"]


def test_budgets_and_autoscalers_point_at_real_deployments():
    deployments = {doc["metadata"]["name"]: doc for doc in resources() if doc["kind"] == "Deployment"}
    for pdb in (doc for doc in resources() if doc["kind"] == "PodDisruptionBudget"):
        labels = pdb["spec"]["selector"]["matchLabels"]
        assert any(d["spec"]["template"]["metadata"]["labels"] == labels for d in deployments.values())
    for hpa in (doc for doc in resources() if doc["kind"] == "HorizontalPodAutoscaler"):
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
        assert hpa["spec"]["minReplicas"] >= 2  # one node lost never means zero
    assert named("HorizontalPodAutoscaler", "pedometer-web")["spec"]["minReplicas"] >= 3


def alert_rules() -> list[dict]:
    document = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    assert set(document) == {"groups"}
    rules = []
    for group in document["groups"]:
        assert group["name"] and group["rules"]
        rules += group["rules"]
    return rules


def test_alert_rules_are_well_formed():
    rules = alert_rules()
    assert len({rule["alert"] for rule in rules}) == len(rules), "alert names must be unique"
    for rule in rules:
        assert re.fullmatch(r"Pedometer[A-Z][A-Za-z]+", rule["alert"])
        assert rule["expr"].strip()
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in {"page", "ticket"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
    assert any(rule["labels"]["severity"] == "page" for rule in rules)


@pytest.mark.django_db
def test_alert_rules_only_use_metrics_the_app_exports(client):
    client.get("/healthz")  # django-prometheus labels appear with the first request
    client.get("/readyz")
    exported = {line.split("{")[0].split(" ")[0] for line in client.get("/metrics").content.decode().splitlines()}
    for rule in alert_rules():
        for name in re.findall(r"\b((?:pedometer|django)_[a-z_]+)", rule["expr"]):
            assert name in exported, f"{rule['alert']} uses {name}, which /metrics does not export"
