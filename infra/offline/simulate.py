"""Run the Pulumi program offline against the recording mocks, as `pulumi up` would run it."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
from pulumi.runtime import config as runtime_config

from labforge.core.errors import LabforgeError, Problem
from labforge.core.yamlio import load

from ..config import stack as stack_config
from ..program import build, read_catalog
from .mocks import Record, install

PLACEHOLDER_SECRETS = {
    "oidcClientSecret": "placeholder-oidc-client-secret",
    "harborAdminPassword": "placeholder-harbor-admin-password",
    "harborOidcClientSecret": "placeholder-harbor-oidc-secret",
    "kubeconfig": "apiVersion: v1\nkind: Config\n# placeholder kubeconfig\n",
    "backupPassword": "placeholder-backup-password",
    "hubMetricsToken": "placeholder-hub-metrics-token",
    "grafanaAdminPassword": "placeholder-grafana-admin-password",
    "backupS3Credentials": "placeholder-access-key-id:placeholder-secret-access-key",
}


def stack_file_config(path: Path) -> dict:
    """The `config:` map of a Pulumi.<stack>.yaml, with objects as Pulumi passes them (JSON)."""
    # labforge's YAML reader: a huge, deeply nested or alias-bombed file is one clear error.
    located = load(path)
    data = located.data if located.data is not None else {}
    if not isinstance(data, dict) or not isinstance(data.get("config") or {}, dict):
        raise LabforgeError(Problem(str(path), "must be a mapping of keys to values",
                                    "see Pulumi.dev.yaml", field="config"))
    return {key: value if isinstance(value, str) else json.dumps(value)
            for key, value in (data.get("config") or {}).items()}


def run(config_map: dict[str, str], secrets: dict[str, str] | None = None,
        plain_keys: tuple[str, ...] = ()) -> tuple[list[Record], dict]:
    """Register every resource of the program for this config; return the records and outputs.

    Raises stack_config.ConfigProblem (or LabforgeError for the catalog) before anything is
    registered when the config is invalid, like the real entry point.
    """
    monitor = install()
    monitor.records.clear()
    full = dict(config_map)
    for key, value in (PLACEHOLDER_SECRETS if secrets is None else secrets).items():
        full[f"{stack_config.NAMESPACE}:{key}"] = value
    # `plain_keys`: secrets a test sets as if without --secret
    secret_keys = [f"{stack_config.NAMESPACE}:{k}" for k in stack_config.SECRET_KEYS if k not in plain_keys]
    runtime_config.set_all_config(full, secret_keys)
    outputs: dict = {}
    failure: list[BaseException] = []

    @pulumi.runtime.test
    def program():
        try:
            cfg, secret_outputs = stack_config.load()
            catalog = read_catalog(cfg)
        except Exception as exc:  # surfaced after the runtime has settled
            failure.append(exc)
            return None
        result = build(cfg, secret_outputs, catalog)
        return pulumi.Output.all(**result).apply(outputs.update)

    program()
    if failure:
        raise failure[0]
    return list(monitor.records), outputs
