"""The plan's chart releases rendered by real Helm, offline, and checked against Kubernetes.

Helm v4's Go SDK (PyPI helm-python-sdk) renders the pinned chart copies in `../shared/charts/`
(or $LABFORGE_CHARTS) with exactly the values the Pulumi program passes; every object is then
validated, strictly (no unknown fields), against the Kubernetes API schemas of the lowest and the
highest Kubernetes version the stack supports, and a custom resource against its CRD
(infra/offline/crds.py). Every chart the example stack deploys has a copy; GitLab Runner's (off
in the example) has none: its values keep the key checks of tests/infra/test_runners.py.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..config.versions import KUBERNETES_VERSIONS, RENDERED_CHARTS
from .mocks import Record

REPO = Path(__file__).resolve().parents[2]
RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"


class ChartUnavailable(Exception):
    """A pinned chart copy is not on this machine (the reason names the file to put there)."""


def charts_folder() -> Path:
    return Path(os.environ.get("LABFORGE_CHARTS") or REPO.parent / "shared" / "charts")


def chart_archive(name: str, version: str) -> Path:
    path = charts_folder() / f"{name}-{version}.tar.gz"
    if not path.is_file():
        raise ChartUnavailable(f"no copy of chart {name} {version}: {path} is missing "
                               "(set LABFORGE_CHARTS to the folder holding it)")
    return path


def _publish_z2jh(folder: Path, version: str) -> None:
    """What z2jh's release (chartpress) does to its source folder, which is what the copy holds:
    the chart and image versions filled in, values.schema.json made from values.schema.yaml."""

    for name in ("Chart.yaml", "values.yaml"):
        path = folder / name
        text = path.read_text(encoding="utf-8")
        text = text.replace("0.0.1-set.by.chartpress", version).replace('"set-by-chartpress"', f'"{version}"')
        path.write_text(text, encoding="utf-8")
    schema = yaml.safe_load((folder / "values.schema.yaml").read_text(encoding="utf-8"))
    (folder / "values.schema.json").write_text(json.dumps(schema, indent=1), encoding="utf-8")


def unpacked(name: str, version: str) -> Path:
    """The chart folder as its chart repository serves it, unpacked once under build/charts."""
    target = REPO / "build" / "charts" / f"{name}-{version}"
    if target.is_dir():
        return target
    archive = chart_archive(name, version)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{name}-"))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(scratch, filter="data")
        folder = scratch / f"{name}-{version}"
        if name == "jupyterhub":
            _publish_z2jh(folder, version)
        os.replace(folder, target)  # another test worker may have won: its copy is the same
    except OSError:
        if not target.is_dir():
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


@dataclass(frozen=True)
class Rendered:
    release: str  # the Helm release name
    chart: str
    version: str
    namespace: str
    objects: list[dict]

    def of_kind(self, kind: str) -> list[dict]:
        return [o for o in self.objects if o.get("kind") == kind]

    def named(self, kind: str, name: str) -> dict:
        return next(o for o in self.objects if o.get("kind") == kind and o["metadata"]["name"] == name)


def plain(value):
    """Recorded inputs with secrets replaced by their values, as Helm gets them."""
    if isinstance(value, dict):
        if set(value) == {"secret"}:
            return plain(value["secret"])
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def chart_releases(records: list[Record]) -> list[Record]:
    return sorted((r for r in records if r.type == RELEASE_TYPE), key=lambda r: r.name)


def render(record: Record) -> Rendered:
    """One chart release of the plan, rendered by Helm (schema-checked first, as helm install does)."""
    from helm_python.chart import Chart

    inputs = record.inputs
    name, version = inputs["chart"], inputs["version"]
    values = plain(inputs.get("values") or {})
    release, namespace = inputs.get("name") or record.name, inputs.get("namespace") or "default"
    chart = Chart.load(str(unpacked(name, version)))
    try:
        chart.validate_schema(values)
        manifests = chart.render(values, name=release, namespace=namespace, is_install=True)
    finally:
        chart.close()
    objects = [obj for path, text in sorted(manifests.items()) if path.endswith((".yaml", ".yml"))
               for obj in documents(text)]
    return Rendered(release, name, version, namespace, objects)


def documents(text: str) -> list[dict]:
    """A rendered template's objects, split as Helm splits them: on a line starting with `---`
    (cert-manager writes `---# comment`, which a YAML multi-document load does not split)."""
    chunks, current = [], []
    for line in text.splitlines(keepends=True):  # each line with its break: a block scalar keeps its last one
        if line.startswith("---"):
            chunks.append("".join(current))
            current = []
        else:
            current.append(line)
    chunks.append("".join(current))
    return [obj for chunk in chunks for obj in [yaml.safe_load(chunk)] if obj]


def rendered_releases(records: list[Record]) -> tuple[list[Rendered], list[str]]:
    """Every chart release with a local copy, rendered; and why each other one was not."""
    done, skipped = [], []
    for record in chart_releases(records):
        name, version = record.inputs["chart"], record.inputs["version"]
        if RENDERED_CHARTS.get(name) != version:
            skipped.append(f"{name} {version}: no pinned copy is kept (key checks only)")
            continue
        done.append(render(record))
    return done, skipped


def schema_problems(rendered: Rendered, versions: tuple[str, ...] = KUBERNETES_VERSIONS) -> list[str]:
    """Each object against the Kubernetes schemas of `versions`, strictly (no unknown fields)."""
    return object_problems(rendered.chart, rendered.objects, versions)


def object_problems(source: str, objects: list[dict], versions: tuple[str, ...] = KUBERNETES_VERSIONS) -> list[str]:
    """Kubernetes' own kinds against each version's schemas; custom resources against their CRDs."""
    from .crds import custom_problem, is_custom

    problems = []
    for obj in objects:
        shown = f"{source} {obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
        if is_custom(obj):
            if problem := custom_problem(obj):
                problems.append(f"{shown} {problem}")
            continue
        problems += [f"{shown} {problem}" for version in versions
                     if (problem := _object_problem(json.dumps(obj, sort_keys=True), version))]
    return problems


@functools.lru_cache(maxsize=4096)
def _object_problem(text: str, version: str) -> str | None:
    """Cached by the object's text: most objects are the same across the stacks a test plans."""
    import kubernetes_validate

    obj = json.loads(text)
    try:
        kubernetes_validate.validate(obj, f"{version}.0", strict=True)
    except kubernetes_validate.ValidationError as exc:
        return f"on Kubernetes {version}: {exc.message}"
    except kubernetes_validate.SchemaNotFoundError:
        return f"({obj.get('apiVersion')}) does not exist in Kubernetes {version}"
    return None
