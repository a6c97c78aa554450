"""Helpers for the Pulumi tests: stack configs to vary, and views over the recorded resources."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import yaml

from infra.config.versions import RENDERED_CHARTS
from infra.offline.charts import ChartUnavailable, chart_archive
from infra.offline.charts import plain as unwrap
from infra.offline.simulate import run, stack_file_config

REPO = Path(__file__).resolve().parents[2]
DEV = REPO / "Pulumi.dev.yaml"


def dev_values() -> dict:
    """The example stack's objects, as Python data (so a test can change one field)."""
    return {k: json.loads(v) if v.startswith(("{", "[")) else v for k, v in stack_file_config(DEV).items()}


def to_config(values: dict) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def existing_cluster_values() -> dict:
    values = dev_values()
    values["labforge:cluster"] = {"mode": "existing", "kubernetesVersion": "1.35"}
    values["labforge:drive"] = {"mode": "nfs", "size": "2Ti", "nfsServer": "nfs.lab.example.org",
                                "nfsPath": "/export/drive"}
    values["labforge:harbor"] = {**values["labforge:harbor"], "storage": "pvc"}
    values["labforge:storage"] = {"homeStorageClass": "standard", "createHomeStorageClass": False}
    # No Swift and no Cinder snapshots here: restic to the site's S3, no Velero.
    values["labforge:backup"] = {"enabled": True, "repository": "s3:https://s3.lab.example.org/lab-backups",
                                 "snapshots": False}
    return values


def simulate(values: dict, secrets: dict | None = None):
    return run(to_config(copy.deepcopy(values)), secrets)


def by_type(records, suffix: str):
    return [r for r in records if r.type.endswith(suffix)]


def helm_release(records, chart: str):
    return next(r for r in records if r.type == "kubernetes:helm.sh/v3:Release" and r.inputs.get("chart") == chart)


Z2JH = REPO / "tests" / "fixtures" / "z2jh-4.4.0"


def helm_merge(defaults, overrides):
    """Helm's merge of user values over a chart's values.yaml: maps merge, the rest replaces."""
    if isinstance(defaults, dict) and isinstance(overrides, dict):
        merged = dict(defaults)
        for key, value in overrides.items():
            merged[key] = helm_merge(defaults.get(key), value) if key in defaults else value
        return merged
    return overrides


def chart_schema_errors(values: dict) -> list[str]:
    """What Helm would refuse in these hub values: the chart's schema over the merged values."""
    import jsonschema

    schema = yaml.safe_load((Z2JH / "values.schema.yaml").read_text())
    defaults = yaml.safe_load((Z2JH / "values.yaml").read_text())
    merged = helm_merge(defaults, unwrap(values))
    validator = jsonschema.Draft7Validator(schema)
    return sorted(f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(merged))


TOKEN = "glrt-placeholder-runner-token"


RUNNERS = {"gitlabUrl": "https://gitlab.lab.example.org", "flavor": "c1.8xlarge", "minNodes": 0, "maxNodes": 12,
           "concurrent": 24}


def copies_missing() -> str | None:
    for name, version in RENDERED_CHARTS.items():
        try:
            chart_archive(name, version)
        except ChartUnavailable as exc:
            return str(exc)
    return None
