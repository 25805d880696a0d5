"""Every alert in deploy/prometheus/alerts.yml fires on the series it is
meant for and stays quiet on the near misses: `promtool test rules` over
deploy/prometheus/alerts_test.yml (promtool comes from Debian's prometheus
package, which `make test` installs when it is missing)."""

import shutil
import subprocess
from pathlib import Path

import yaml
from django.conf import settings

PROMETHEUS = Path(settings.BASE_DIR) / "deploy" / "prometheus"
PROMTOOL = shutil.which("promtool")


def alerts() -> dict[str, dict]:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    return {rule["alert"]: rule for group in rules["groups"] for rule in group["rules"]}


def cases() -> list[dict]:
    spec = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())
    return [case for test in spec["tests"] for case in test["alert_rule_test"]]


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    assert PROMTOOL, "promtool is missing: `make test` installs Debian's prometheus package"
    return subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603


def test_the_rules_are_valid():
    result = promtool("check", "rules", "alerts.yml", cwd=PROMETHEUS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_case_that_fires_it_and_one_that_must_not():
    fires = {case["alertname"] for case in cases() if case["exp_alerts"]}
    quiet = {case["alertname"] for case in cases() if not case["exp_alerts"]}
    assert set(alerts()) - fires == set()
    assert set(alerts()) - quiet == set()
    assert {case["alertname"] for case in cases()} <= set(alerts()), "a case names an alert that does not exist"


def test_every_alert_fires_exactly_where_its_cases_say(tmp_path):
    # promtool compares annotations too; they are filled in from the rules, so the
    # cases speak only of labels and the prose lives in one place.
    rules = alerts()
    spec = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())
    for test in spec["tests"]:
        for case in test["alert_rule_test"]:
            for expected in case["exp_alerts"]:
                expected.setdefault("exp_annotations", rules[case["alertname"]]["annotations"])
    spec["rule_files"] = [str(PROMETHEUS / name) for name in spec["rule_files"]]
    (tmp_path / "alerts_test.yml").write_text(yaml.safe_dump(spec, sort_keys=False))

    result = promtool("test", "rules", "alerts_test.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
