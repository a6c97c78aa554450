"""`make plan AGAINST=OLD`: what a change to the stack config or the catalog does, for review."""

from __future__ import annotations

import json
import subprocess
import sys

from infra.offline.plan import plan_document
from infra.offline.plan_diff import diff_plans, summary_line
from infra.offline.simulate import PLACEHOLDER_SECRETS
from tests.helpers.stack import REPO, dev_values, simulate


def document(values: dict) -> dict:
    secrets = {**PLACEHOLDER_SECRETS, "gitlabRunnerToken": "glrt-placeholder-runner-token"}
    return json.loads(json.dumps(plan_document(simulate(values, secrets)[0])))


def test_a_config_change_shows_resources_and_chart_values_that_differ():
    old = dev_values()
    new = dev_values()
    new["labforge:hub"] = {**new["labforge:hub"], "resources": {**new["labforge:hub"]["resources"], "cpuLimit": 3}}
    new["labforge:runners"] = {"gitlabUrl": "https://gitlab.lab.example.org", "flavor": "c1.8xlarge"}
    lines = diff_plans(document(old), document(new))
    assert "~ kubernetes:helm.sh/v3:Release  hub-chart" in lines
    assert "    values.singleuser.profileList[0].kubespawner_override.cpu_limit: 4.0 -> 3.0" in lines
    assert any(line.startswith("+ kubernetes:helm.sh/v3:Release") and "runner" in line for line in lines), lines
    assert not any(line.startswith("- ") for line in lines)
    assert summary_line(lines).startswith(f"{sum(1 for x in lines if x.startswith('+ '))} to add, 0 to remove")


def test_the_same_config_changes_nothing_and_secrets_stay_masked():
    """Secrets are masked in plan.json, so a diff never shows one."""
    lines = diff_plans(document(dev_values()), document(dev_values()))
    assert lines == [] and summary_line(lines) == "0 to add, 0 to remove, 0 to change"
    new = dev_values()
    new["labforge:runners"] = {"gitlabUrl": "https://gitlab.lab.example.org", "flavor": "c1.8xlarge"}
    assert "placeholder" not in "\n".join(diff_plans(document(dev_values()), document(new)))


def test_against_a_git_ref_plans_that_ref_with_its_own_files(tmp_path):
    result = subprocess.run([sys.executable, "-m", "infra.offline.plan", "--out", str(tmp_path / "plan"),
                             "--against", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "plan" / "plan-diff.txt").read_text()
    assert text.startswith("Against HEAD: ") and "to change" in text.splitlines()[0]
    worktrees = subprocess.run(["git", "worktree", "list"], cwd=REPO, capture_output=True, text=True).stdout
    assert "labforge-plan-" not in worktrees  # the scratch worktree is gone


def test_against_something_that_is_neither_is_one_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "infra.offline.plan", "--out", str(tmp_path / "plan"),
                             "--against", "no-such-ref-or-file"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "--against no-such-ref-or-file: neither a plan.json nor a git ref" in result.stderr
    assert not (tmp_path / "plan").exists()


def test_a_catalog_verb_shows_as_the_chart_values_it_changes(tmp_path):
    """`labforge catalog deprecate` is reviewed as what it does to the hub: the profile's name,
    its description and the notice its servers get."""
    import datetime as dt

    from labforge.catalog.lifecycle import deprecate
    from labforge.catalog.store import load_catalog, save_catalog

    path = tmp_path / "catalog.json"
    save_catalog(path, deprecate(load_catalog(REPO / "releases" / "catalog.json"), "catalog", "2026.05",
                                 dt.date(2099, 1, 31), None, None, dt.date(2026, 11, 29)))
    new = dev_values()
    new["labforge:hub"] = {**new["labforge:hub"], "catalog": str(path)}
    lines = diff_plans(document(dev_values()), document(new))
    assert "~ kubernetes:helm.sh/v3:Release  hub-chart" in lines
    changed = "\n".join(lines)
    assert 'display_name: "Release 2026.05" -> "Release 2026.05 (deprecated)"' in changed, changed
    assert "LAB_RELEASE_NOTICE: added" in changed


def test_a_chart_upgrade_shows_its_version_and_each_value_that_changes():
    """What "Upgrade the lab" reviews: the plan before (cert-manager 1.18, its CRDs without the
    Gateway API support) against the plan after, value by value."""
    new = document(dev_values())
    old = json.loads(json.dumps(new))
    release = next(r for r in old["resources"] if r["type"] == "kubernetes:helm.sh/v3:Release"
                   and r["inputs"]["chart"] == "cert-manager")
    release["inputs"]["version"] = "v1.18.2"
    del release["inputs"]["values"]["config"]
    assert diff_plans(old, new) == ["~ kubernetes:helm.sh/v3:Release  gateway-cert-manager",
                                    '    values.config.apiVersion: added "controller.config.cert-manager.io/v1alpha1"',
                                    "    values.config.enableGatewayAPI: added true",
                                    '    values.config.kind: added "ControllerConfiguration"',
                                    '    version: "v1.18.2" -> "v1.21.1"']
