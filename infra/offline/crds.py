"""Custom resources checked against their CustomResourceDefinitions, as the API server would.

kubernetes-validate knows only Kubernetes' own kinds. The plan also creates Gateway API objects,
cert-manager issuers and Velero schedules, and two charts render HTTPRoutes: each is validated
against the openAPIV3Schema of its CRD, taken from the pinned chart copies that install those CRDs
(Envoy Gateway's `crds` subchart carries the Gateway API's, cert-manager's templates and Velero's
`crds/` their own). Strict like `kubectl apply --validate=strict`: a field the schema does not
declare is an error, except under `x-kubernetes-preserve-unknown-fields`.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

# Which chart copy holds the CRDs of an API group, and where in it.
CRD_SOURCES = {
    "gateway.networking.k8s.io": ("gateway-helm", "charts/crds/crds"),
    "gateway.envoyproxy.io": ("gateway-helm", "charts/crds/crds"),
    "cert-manager.io": ("cert-manager", "templates"),
    "acme.cert-manager.io": ("cert-manager", "templates"),
    "velero.io": ("velero", "crds"),
}


def _documents(folder: Path):
    for path in sorted(folder.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if "{{" in text:  # cert-manager's CRD templates: only the labels and annotations are templated
            text = "\n".join(line for line in text.splitlines() if "{{" not in line)
        # Helm splits documents on a line starting with ---, comments after it included.
        for chunk in ("\n" + text).split("\n---"):
            try:
                doc = yaml.safe_load(chunk)
            except yaml.YAMLError:
                continue
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                yield doc


@functools.cache
def crd_schemas(group: str) -> dict[tuple[str, str], dict]:
    """(version, kind) -> the CRD's openAPIV3Schema, for one API group."""
    from .charts import RENDERED_CHARTS, unpacked

    chart, inside = CRD_SOURCES[group]
    folder = unpacked(chart, RENDERED_CHARTS[chart]) / inside
    found = {}
    for crd in _documents(folder):
        spec = crd.get("spec") or {}
        if spec.get("group") != group:
            continue
        for version in spec.get("versions") or []:
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if schema:
                found[(version["name"], spec["names"]["kind"])] = strict(schema)
    return found


def strict(schema):
    """The schema with every declared object closed to undeclared fields (as strict validation)."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) for k, v in schema.items()}
    if ("properties" in out and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


def is_custom(obj: dict) -> bool:
    return obj.get("apiVersion", "").split("/")[0] in CRD_SOURCES


def custom_problem(obj: dict) -> str | None:
    """Why the API server would refuse `obj`, a custom resource; None when it would take it."""
    import jsonschema

    group, _, version = obj["apiVersion"].partition("/")
    schema = crd_schemas(group).get((version, obj.get("kind")))
    if schema is None:
        return f"({obj['apiVersion']} {obj.get('kind')}) has no CRD in the pinned charts"
    body = {k: v for k, v in obj.items() if k != "metadata"}
    schema = {**schema, "properties": {k: v for k, v in schema.get("properties", {}).items() if k != "metadata"}}
    error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(schema).iter_errors(body))
    if error is None:
        return None
    where = ".".join(str(p) for p in error.absolute_path) or "(top)"
    return f"{where}: {error.message[:200]}"
