"""Pulumi's mocks, recording every registered resource: for the tests and for `make plan`.

No cloud and no Pulumi CLI are needed: the program runs against these mocks, and the
recorder keeps each resource's type, name, inputs (with secrets still marked), parent,
provider and dependencies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf.json_format import MessageToDict
from pulumi.runtime.mocks import MockMonitor

# How the Pulumi wire format marks a secret value: {SIG_KEY: SECRET_SIG, "value": ...}.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
MOCK_KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"


@dataclass
class Record:
    type: str
    name: str
    urn: str
    parent: str
    provider: str
    custom: bool
    dependencies: list[str]
    inputs: dict[str, Any] = field(default_factory=dict)


class LabMocks(pulumi.runtime.Mocks):
    """Plausible outputs for the few resources whose outputs the program reads."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        outputs = dict(args.inputs)
        outputs.setdefault("name", args.name)
        if args.typ == "openstack:containerinfra/cluster:Cluster":
            outputs["kubeconfig"] = {"raw_config": MOCK_KUBECONFIG, "host": "https://10.20.0.10:6443"}
        elif args.typ == "openstack:sharedfilesystem/share:Share":
            outputs["export_locations"] = [{"path": "10.20.0.5:/volumes/_nogroup/lab-drive", "preferred": True}]
        elif args.typ == "openstack:identity/applicationCredential:ApplicationCredential":
            outputs["secret"] = "mock-application-credential-secret"
        elif args.typ == "harbor:index/robotAccount:RobotAccount":
            outputs |= {"full_name": f"robot${args.inputs.get('name')}", "secret": "mock-robot-secret"}
        return [f"{args.name}-id", outputs]

    def call(self, args: pulumi.runtime.MockCallArgs):
        if args.token == "openstack:networking/getNetwork:getNetwork":
            return {"id": "external-network-id", "name": args.args.get("name")}
        return {}


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.records: list[Record] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.records.append(Record(
                type=request.type, name=request.name, urn=response.urn, parent=request.parent,
                provider=request.provider, custom=request.custom, dependencies=sorted(set(request.dependencies)),
                inputs=_plain(MessageToDict(request.object))))
        return response


def _plain(value: Any) -> Any:
    """Inputs as JSON-able data; secrets stay wrapped as {"secret": value}."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return {"secret": _plain(value.get("value"))}
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value == UNKNOWN:
        return "<computed>"
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


_monitor: RecordingMonitor | None = None


def install(project: str = "labforge", stack: str = "dev") -> RecordingMonitor:
    """Set the mocks once per process (Pulumi allows no second set_mocks); return the recorder."""
    global _monitor
    if _monitor is None:
        _monitor = RecordingMonitor(LabMocks())
        pulumi.runtime.set_mocks(LabMocks(), project=project, stack=stack, preview=False, monitor=_monitor)
    return _monitor
