"""deploy/: everything checked offline (README "Deploying").

The Helm chart renders for its default values and the production example, and
every object it renders is valid Kubernetes (kubernetes-validate, strict); the
Prometheus Operator and AWS Load Balancer Controller objects, which have no
bundled schema, have their shape checked here instead. The image runs the
cluster's uvicorn command. The alert rules are well formed and only use metrics
the app exports. Every Terraform file parses, every module's variables and
outputs are documented and wired in the example root, and the CloudWatch
alarms mirror Prometheus alerts that exist. hadolint, terraform fmt and checkov
run in `make deploy-check`, a step of `make test`."""

import functools
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import hcl2
import helm_python as helm
import httpx
import kubernetes_validate
import pytest
import yaml
from django.conf import settings
from hcl2 import SerializationOptions

from .servers import free_port, port_open, server_env

ROOT = Path(settings.BASE_DIR)
DEPLOY = ROOT / "deploy"
CHART = DEPLOY / "helm" / "pedometer"
TERRAFORM = DEPLOY / "terraform"
EXAMPLE_ROOT = TERRAFORM / "examples" / "production"
MODULES = sorted(path for path in (TERRAFORM / "modules").iterdir() if path.is_dir())

# Custom resources: kubernetes-validate bundles schemas for the built-in kinds only.
CUSTOM_KINDS = {"ServiceMonitor", "PrometheusRule", "TargetGroupBinding"}
VALUE_SETS = {"default": {}, "production": "values-production.yaml"}


# --- the chart ---------------------------------------------------------------------------


def values(value_set: str) -> dict:
    source = VALUE_SETS[value_set]
    return yaml.safe_load((CHART / source).read_text()) if source else {}


@functools.cache
def rendered(value_set: str) -> tuple[dict, ...]:
    helm.disable_logging()  # it notes, at INFO, that files/alerts.yml is a link
    chart = helm.Chart.load(CHART)
    try:
        manifests = chart.render(values(value_set), name="pedometer", namespace="pedometer", is_install=True)
    finally:
        chart.close()
    return tuple(
        doc
        for path, text in sorted(manifests.items())
        if path.endswith(".yaml")
        for doc in yaml.safe_load_all(text)
        if doc
    )


def objects(value_set: str, kind: str) -> list[dict]:
    return [doc for doc in rendered(value_set) if doc["kind"] == kind]


def named(value_set: str, kind: str, name: str) -> dict:
    return next(doc for doc in objects(value_set, kind) if doc["metadata"]["name"] == name)


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_chart_lints_clean_in_strict_mode(value_set):
    helm.disable_logging()
    report = helm.lint(CHART, values(value_set), strict=True, namespace="pedometer")
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []  # no warnings either


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_every_rendered_object_is_valid_kubernetes(value_set):
    built_in = [doc for doc in rendered(value_set) if doc["kind"] not in CUSTOM_KINDS]
    assert len(built_in) >= 11
    for doc in built_in:
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


def test_the_example_secret_is_valid_kubernetes():
    for doc in yaml.safe_load_all((DEPLOY / "helm" / "secret.example.yaml").read_text()):
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_the_chart_renders_every_role_and_what_keeps_it_available(value_set):
    kinds = {(doc["kind"], doc["metadata"]["name"]) for doc in rendered(value_set)}
    for kind, name in [
        ("Deployment", "pedometer-web"),
        ("Deployment", "pedometer-worker"),
        ("Deployment", "pedometer-sweep"),
        ("Service", "pedometer-web"),
        ("PodDisruptionBudget", "pedometer-web"),
        ("PodDisruptionBudget", "pedometer-worker"),
        ("HorizontalPodAutoscaler", "pedometer-web"),
        ("HorizontalPodAutoscaler", "pedometer-worker"),
        ("Job", "pedometer-migrate"),
        ("ServiceMonitor", "pedometer-web"),
        ("ServiceMonitor", "pedometer-worker"),
        ("PrometheusRule", "pedometer"),
    ]:
        assert (kind, name) in kinds, f"{value_set}: no {kind} {name}"


def container(value_set: str, deployment: str) -> dict:
    return named(value_set, "Deployment", deployment)["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_web_pods_are_probed_on_readyz_and_healthz_and_read_the_secret(value_set):
    web = container(value_set, "pedometer-web")
    assert web["args"] == ["web"]
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert {"secretRef": {"name": "pedometer-env"}} in web["envFrom"]
    # The entrypoint adds the pod's address to ALLOWED_HOSTS: probes send it as the Host.
    assert {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}} in web["env"]
    spec = named(value_set, "Deployment", "pedometer-web")["spec"]
    # Longer than the preStop pause plus uvicorn's 20 s graceful shutdown.
    assert (
        spec["template"]["spec"]["terminationGracePeriodSeconds"]
        >= web["lifecycle"]["preStop"]["sleep"]["seconds"] + 20
    )
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_every_pod_runs_as_the_images_user_with_resources_and_the_env_secret(value_set):
    dockerfile_user = re.search(r"^USER (\d+):(\d+)$", (ROOT / "Dockerfile").read_text(), re.M)
    assert dockerfile_user, "the image must name its user numerically (runAsNonRoot checks it)"
    pods = [doc["spec"]["template"] for doc in objects(value_set, "Deployment") + objects(value_set, "Job")]
    assert len(pods) == 4
    for pod in pods:
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
        assert str(pod["spec"]["securityContext"]["runAsUser"]) == dockerfile_user.group(1)
        assert pod["spec"]["automountServiceAccountToken"] is False
        for each in pod["spec"]["containers"]:
            assert each["resources"]["requests"] and each["resources"]["limits"]["memory"]
            assert {"secretRef": {"name": "pedometer-env"}} in each["envFrom"]
            assert each["securityContext"]["readOnlyRootFilesystem"] is True
            # An emptyDir at /tmp is the only writable place.
            assert {"name": "tmp", "mountPath": "/tmp"} in each["volumeMounts"]  # noqa: S108


def test_production_values_override_image_and_resources():
    web = container("production", "pedometer-web")
    assert web["image"] == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/pedometer:1.0.0"
    assert web["resources"]["requests"]["cpu"] == "1"
    assert container("default", "pedometer-web")["image"] == "registry.example.com/pedometer:1.0.0"
    worker_env = {e["name"]: e.get("value") for e in container("production", "pedometer-worker")["env"]}
    assert worker_env["WORKER_CONCURRENCY"] == "8"
    assert worker_env["LOG_LEVEL"] == "INFO"  # the chart-wide env reaches every role


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_budgets_and_autoscalers_point_at_real_deployments(value_set):
    deployments = {doc["metadata"]["name"]: doc for doc in objects(value_set, "Deployment")}
    for pdb in objects(value_set, "PodDisruptionBudget"):
        labels = pdb["spec"]["selector"]["matchLabels"]
        assert any(d["spec"]["template"]["metadata"]["labels"] == labels for d in deployments.values())
    for hpa in objects(value_set, "HorizontalPodAutoscaler"):
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
        assert hpa["spec"]["minReplicas"] >= 2  # one node lost never means zero
        assert "replicas" not in deployments[hpa["spec"]["scaleTargetRef"]["name"]]["spec"]  # the HPA owns it
    assert named(value_set, "HorizontalPodAutoscaler", "pedometer-web")["spec"]["minReplicas"] >= 3
    assert named(value_set, "Deployment", "pedometer-sweep")["spec"]["replicas"] == 1
    service = named(value_set, "Service", "pedometer-web")
    assert service["spec"]["selector"] == deployments["pedometer-web"]["spec"]["selector"]["matchLabels"]


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_migrations_run_as_a_hook_before_install_and_upgrade(value_set):
    job = named(value_set, "Job", "pedometer-migrate")
    assert set(job["metadata"]["annotations"]["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # A hook runs before the release's own ServiceAccount exists.
    assert "serviceAccountName" not in job["spec"]["template"]["spec"]


def test_the_default_ingress_is_an_alb_that_checks_readyz_and_hides_metrics():
    ingress = named("default", "Ingress", "pedometer")
    annotations = ingress["metadata"]["annotations"]
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert annotations["alb.ingress.kubernetes.io/healthcheck-path"] == "/readyz"
    assert annotations["alb.ingress.kubernetes.io/healthcheck-interval-seconds"] == "5"
    assert annotations["alb.ingress.kubernetes.io/unhealthy-threshold-count"] == "2"
    paths = ingress["spec"]["rules"][0]["http"]["paths"]
    assert paths[0]["path"] == "/metrics"
    assert paths[0]["backend"]["service"] == {"name": "deny-metrics", "port": {"name": "use-annotation"}}
    assert '"statusCode": "404"' in annotations["alb.ingress.kubernetes.io/actions.deny-metrics"]
    assert paths[-1]["backend"]["service"]["name"] == "pedometer-web"


def test_production_registers_pods_in_the_terraform_target_group_instead():
    assert objects("production", "Ingress") == []
    (binding,) = objects("production", "TargetGroupBinding")
    assert binding["apiVersion"] == "elbv2.k8s.aws/v1beta1"
    assert binding["spec"]["targetType"] == "ip"
    assert binding["spec"]["targetGroupARN"].startswith("arn:aws:elasticloadbalancing:")
    assert binding["spec"]["serviceRef"] == {"name": "pedometer-web", "port": 80}


@pytest.mark.parametrize(
    ("bad_values", "complaint"),
    [
        ({"web": {"replicsa": 3}}, "additional properties 'replicsa' not allowed"),
        ({"ingress": {"enabled": "yes"}}, "got string, want boolean"),
        ({"worker": {"autoscaling": {"minReplicas": 1}}}, "minimum: got 1, want 2"),
    ],
)
def test_values_the_schema_refuses_do_not_render(bad_values, complaint):
    """values.schema.json: a misspelt or mistyped value fails the install instead of being ignored."""
    helm.disable_logging()
    chart = helm.Chart.load(CHART)
    try:
        with pytest.raises(helm.HelmValuesError, match=re.escape(complaint)):
            chart.render(bad_values, name="pedometer", namespace="pedometer")
    finally:
        chart.close()


def test_a_target_group_binding_without_an_arn_does_not_render():
    helm.disable_logging()
    chart = helm.Chart.load(CHART)
    try:
        with pytest.raises(helm.HelmError, match="targetGroupARN is required"):
            chart.render({"targetGroupBinding": {"enabled": True}}, name="pedometer", namespace="pedometer")
    finally:
        chart.close()


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_service_monitors_scrape_each_role_under_the_job_the_alerts_use(value_set):
    alert_jobs = set(re.findall(r'job="([^"]+)"', (DEPLOY / "prometheus" / "alerts.yml").read_text()))
    jobs = {}
    for monitor in objects(value_set, "ServiceMonitor"):
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        (endpoint,) = monitor["spec"]["endpoints"]
        assert endpoint["path"] == "/metrics"
        (relabel,) = endpoint["relabelings"]
        assert relabel["targetLabel"] == "job"
        selector = monitor["spec"]["selector"]["matchLabels"]
        services = [
            s
            for s in objects(value_set, "Service")
            if selector.items() <= s["metadata"]["labels"].items()
            and endpoint["port"] in {p["name"] for p in s["spec"]["ports"]}
        ]
        assert len(services) == 1, f"{monitor['metadata']['name']} selects {len(services)} services"
        jobs[monitor["metadata"]["name"]] = relabel["replacement"]
    assert jobs == {"pedometer-web": "pedometer-web", "pedometer-worker": "pedometer-worker"}
    assert alert_jobs <= set(jobs.values())


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_the_prometheus_rule_is_the_alerts_file_itself(value_set):
    (rule,) = objects(value_set, "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["spec"] == yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    link = CHART / "files" / "alerts.yml"
    assert link.is_symlink() and link.resolve() == (DEPLOY / "prometheus" / "alerts.yml").resolve()


# --- the image -----------------------------------------------------------------------------


def test_the_image_runs_the_clusters_uvicorn_command():
    """deploy/docker/entrypoint.sh's web role and scripts/cluster.py start the same server the same way."""
    entrypoint = (DEPLOY / "docker" / "entrypoint.sh").read_text()
    web = re.search(r"^\s*web\)\n(.*?);;", entrypoint, re.M | re.S).group(1)
    command = shlex.split(re.search(r"exec (uvicorn .*?\"\$@\")", web, re.S).group(1).replace("\\\n", " "))
    cluster = (ROOT / "scripts" / "cluster.py").read_text()
    start_node = cluster[cluster.index("def start_node") : cluster.index("def _wait_node")]
    tokens = []
    for line in start_node.splitlines():
        if "args" in line and "[" in line:
            tokens += [literal or "PORT" for literal, _ in re.findall(r'"([^"]*)"|(str\(port\))', line)]
    cluster_command = tokens[tokens.index("uvicorn") :]

    def flags(args: list[str]) -> dict[str, str]:
        out, i = {}, 0
        while i < len(args):
            if args[i].startswith("--") and i + 1 < len(args) and not args[i + 1].startswith("--"):
                out[args[i]], i = args[i + 1], i + 2
            else:
                out[args[i]], i = "", i + 1
        return out

    image, expected = flags(command[2:-1]), flags(cluster_command[2:])
    assert command[:2] == cluster_command[:2] == ["uvicorn", "pedometer_site.asgi:application"]
    for flag in ("--host", "--port"):  # where it listens differs: loopback there, every interface here
        image.pop(flag), expected.pop(flag)
    assert image == expected
    assert "--timeout-graceful-shutdown" in image


def test_the_web_role_serves_its_pods_address_and_its_healthcheck_passes(tmp_path):
    """The entrypoint run as the image runs it (without the image): `web` starts uvicorn,
    adds $POD_IP to ALLOWED_HOSTS (probes name it as the host), and `healthcheck` passes."""
    entrypoint = str(DEPLOY / "docker" / "entrypoint.sh")
    port = free_port()
    env = server_env(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        PORT=str(port),
        ALLOWED_HOSTS="api.pedometer.example.com",
        POD_IP="127.0.0.1",
        PEDOMETER_ROLE_FILE=str(tmp_path / "role"),
    )
    web = subprocess.Popen([entrypoint, "web"], cwd=ROOT, env=env)  # noqa: S603
    try:
        deadline = time.monotonic() + 30
        while not port_open(port):
            assert web.poll() is None and time.monotonic() < deadline, "the web role did not start"
            time.sleep(0.1)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            assert client.get("/healthz").status_code == 200  # Host: 127.0.0.1:<port>, the "pod's" address
            assert client.get("/healthz", headers={"Host": "api.pedometer.example.com"}).status_code == 200
            assert client.get("/healthz", headers={"Host": "10.9.9.9"}).status_code == 400  # still enforced
        assert (tmp_path / "role").read_text().strip() == "web"
        check = subprocess.run([entrypoint, "healthcheck"], env=env, capture_output=True, timeout=10)  # noqa: S603
        assert check.returncode == 0, check.stderr
    finally:
        web.terminate()
        web.wait(25)
    # uvicorn stops gracefully, then ends by the signal it was sent (exec: the shell is gone).
    assert web.returncode in (0, -signal.SIGTERM)
    failed = subprocess.run([entrypoint, "healthcheck"], env=env, capture_output=True, timeout=10)  # noqa: S603
    assert failed.returncode != 0  # nothing answers any more
    (tmp_path / "role").write_text("worker\n")
    assert subprocess.run([entrypoint, "healthcheck"], env=env, timeout=10).returncode == 0  # noqa: S603


def test_the_image_is_multi_stage_non_root_with_static_files_and_a_healthcheck():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) == 2
    assert "libmariadb-dev" in dockerfile and "pip wheel" in dockerfile  # mysqlclient compiles in the build stage
    assert "collectstatic" in dockerfile and "compilemessages" in dockerfile
    assert re.search(r'^HEALTHCHECK .*\n?.*"healthcheck"', dockerfile, re.M)
    assert re.search(r'^ENTRYPOINT \["/app/deploy/docker/entrypoint.sh"\]$', dockerfile, re.M)
    assert "/healthz" in (DEPLOY / "docker" / "entrypoint.sh").read_text()
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {".git", ".venv*", "db.sqlite3", "staticfiles"} <= set(ignored)


def test_the_images_collectstatic_writes_the_manifest_the_app_then_serves_from():
    """Only the manifest storage writes staticfiles.json, and without one the app picks plain names:
    the image's collectstatic must ask for it (STATIC_MANIFEST=true)."""
    assert "STATIC_MANIFEST=true python manage.py collectstatic" in (ROOT / "Dockerfile").read_text()
    probe = "from django.conf import settings; print(settings.STORAGES['staticfiles']['BACKEND'])"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pedometer_site.settings", "STATIC_MANIFEST": "true"}
    env.pop("DEBUG", None)
    backend = subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import django; django.setup(); {probe}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert backend == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_the_build_context_keeps_everything_the_app_needs():
    ignored = {line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()}
    local_apps = {app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()}
    # infrastructure/ is no app (nothing to install) but every app imports it.
    needed = local_apps | {"infrastructure", "templates", "static", "manage.py", "requirements.txt", "deploy/docker"}
    assert {"accounts", "steps", "pedometer_site"} <= needed
    assert not needed & ignored


# --- the alert rules -----------------------------------------------------------------------


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


# --- Terraform -----------------------------------------------------------------------------


@functools.cache
def parsed(path: Path) -> dict:
    with path.open() as f:
        return hcl2.load(f, serialization_options=SerializationOptions(strip_string_quotes=True, explicit_blocks=False))


def blocks(directory: Path, kind: str) -> dict[str, dict]:
    """Every `kind` block (variable, output, module) of a directory's .tf files, by name."""
    found = {}
    for path in sorted(directory.glob("*.tf")):
        for block in parsed(path).get(kind, []):
            found.update(block)
    return found


def resources(directory: Path, kind: str) -> dict[str, dict]:
    found = {}
    for path in sorted(directory.glob("*.tf")):
        for block in parsed(path).get("resource", []):
            found.update(block.get(kind, {}))
    return found


TF_FILES = sorted(TERRAFORM.rglob("*.tf"))


def test_every_module_of_the_aws_shape_exists():
    assert [path.name for path in MODULES] == [
        "alarms",
        "cache",
        "compute",
        "database",
        "load_balancer",
        "network",
        "secrets",
    ]
    assert len(TF_FILES) >= 4 * len(MODULES) + 3


@pytest.mark.parametrize("path", TF_FILES, ids=lambda path: str(path.relative_to(TERRAFORM)))
def test_terraform_file_parses(path):
    assert parsed(path)


@pytest.mark.parametrize("directory", [*MODULES, EXAMPLE_ROOT], ids=lambda path: path.name)
def test_every_variable_and_output_is_documented(directory):
    for kind in ("variable", "output"):
        for name, body in blocks(directory, kind).items():
            assert len(body.get("description", "")) > 10, f"{directory.name}: {kind} {name} has no description"
    for name, body in blocks(directory, "variable").items():
        assert "type" in body, f"{directory.name}: variable {name} has no type"


def module_calls() -> dict[str, dict]:
    return blocks(EXAMPLE_ROOT, "module")


def test_the_example_root_calls_every_module():
    assert {call["source"] for call in module_calls().values()} == {f"../../modules/{m.name}" for m in MODULES}


META_ARGUMENTS = {"source", "version", "providers", "depends_on", "count", "for_each", "__comments__"}


@pytest.mark.parametrize("name", [m.name for m in MODULES])
def test_the_example_root_passes_every_required_variable_and_only_declared_ones(name):
    (call,) = [c for c in module_calls().values() if c["source"] == f"../../modules/{name}"]
    variables = blocks(TERRAFORM / "modules" / name, "variable")
    passed = set(call) - META_ARGUMENTS
    required = {var for var, body in variables.items() if "default" not in body}
    assert required <= passed, f"{name}: required but not passed: {sorted(required - passed)}"
    assert passed <= set(variables), f"{name}: passed but not declared: {sorted(passed - set(variables))}"


def references(text: str, prefix: str) -> set[tuple[str, str]]:
    return set(re.findall(rf"\b{prefix}\.([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)", text))


def test_every_module_output_the_root_reads_exists():
    calls = module_calls()
    text = "\n".join(path.read_text() for path in EXAMPLE_ROOT.glob("*.tf"))
    refs = references(text, "module")
    assert refs, "the root reads no module output"
    for module, output in refs:
        source = calls[module]["source"]
        outputs = blocks((EXAMPLE_ROOT / source).resolve(), "output")
        assert output in outputs, f"module.{module}.{output}: {source} has no such output"


@pytest.mark.parametrize("directory", [*MODULES, EXAMPLE_ROOT], ids=lambda path: path.name)
def test_every_var_used_is_declared(directory):
    text = "\n".join(path.read_text() for path in directory.glob("*.tf"))
    used = set(re.findall(r"\bvar\.([a-z_][a-z0-9_]*)", text))
    assert used <= set(blocks(directory, "variable")), sorted(used - set(blocks(directory, "variable")))


def test_community_modules_are_pinned_to_exact_releases():
    registry = 0
    for directory in MODULES:
        for name, call in blocks(directory, "module").items():
            if call["source"].startswith("terraform-aws-modules/"):
                registry += 1
                assert re.fullmatch(r"\d+\.\d+\.\d+", call.get("version", "")), f"{directory.name}: {name}"
    assert registry >= 5


def test_every_checkov_skip_gives_its_reason():
    skips = [line for path in TF_FILES for line in path.read_text().splitlines() if "checkov:skip" in line]
    assert skips
    for line in skips:
        assert re.fullmatch(r"\s*#checkov:skip=CKV[0-9A-Z_]+:\S.{20,}", line), line


def test_the_target_group_checks_readyz_with_the_readme_timings():
    modules = TERRAFORM / "modules" / "load_balancer"
    (check,) = resources(modules, "aws_lb_target_group")["web"]["health_check"]
    variables = blocks(modules, "variable")
    assert check["path"] == "/readyz"
    assert check["interval"] == "${var.health_check_interval_seconds}"
    assert variables["health_check_interval_seconds"]["default"] == 5
    assert variables["health_check_failures"]["default"] == 2
    assert 20 <= variables["deregistration_delay_seconds"]["default"] <= 30
    readme = (ROOT / "README.md").read_text()
    assert "`/readyz` (interval 5 s, 2 failures)" in readme


def test_database_is_multi_az_with_a_replica_and_the_apps_session_settings():
    database = blocks(TERRAFORM / "modules" / "database", "module")
    assert database["primary"]["multi_az"] is True
    assert database["replica"]["replicate_source_db"] == "${module.primary.db_instance_identifier}"
    text = (TERRAFORM / "modules" / "database" / "main.tf").read_text()
    assert '{ name = "character_set_server", value = "utf8mb4" }' in text
    assert '{ name = "tx_isolation", value = "READ-COMMITTED" }' in text


def test_cache_fails_over_by_itself_over_tls():
    group = resources(TERRAFORM / "modules" / "cache", "aws_elasticache_replication_group")["cache"]
    assert group["automatic_failover_enabled"] is True and group["multi_az_enabled"] is True
    assert group["transit_encryption_enabled"] is True and group["at_rest_encryption_enabled"] is True
    assert group["num_cache_clusters"] == "${var.replicas + 1}"
    env = (TERRAFORM / "modules" / "secrets" / "main.tf").read_text()
    assert 'REDIS_URL            = "rediss://' in env


def test_cloudwatch_alarms_mirror_prometheus_alerts_that_exist():
    alerts = {rule["alert"] for rule in alert_rules()}
    alarms = resources(TERRAFORM / "modules" / "alarms", "aws_cloudwatch_metric_alarm")
    mirrored = set()
    for body in alarms.values():
        suffix = body["alarm_name"].split("}-", 1)[1]
        if suffix.startswith("Pedometer"):
            assert suffix in alerts, f"alarm {suffix} mirrors no alert in deploy/prometheus/alerts.yml"
            mirrored.add(suffix)
        assert body["alarm_actions"], body["alarm_name"]
    assert {"PedometerNoNodeServing", "PedometerHighErrorRate", "PedometerSlowResponses"} <= mirrored
    topics = resources(TERRAFORM / "modules" / "alarms", "aws_sns_topic_subscription")
    assert topics["email"]["protocol"] == "email"
