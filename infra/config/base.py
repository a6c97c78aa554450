"""What every part of the stack configuration shares: the model base and the error."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel

from labforge.core.errors import LabforgeError, Problem

# Kubernetes label syntax: an optional DNS prefix and "/", then a name of at most 63 characters.
# Labels land in kubelet flags and in the runner's config.toml, so nothing else may pass.
_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
LabelKey = Annotated[str, StringConstraints(pattern=rf"^([a-z0-9]([-a-z0-9.]{{0,251}}[a-z0-9])?/)?{_NAME}$")]
LabelValue = Annotated[str, StringConstraints(pattern=rf"^({_NAME})?$")]
NodeLabels = dict[LabelKey, LabelValue]
TAINT = r"^[A-Za-z0-9./-]+=[A-Za-z0-9._-]*:(NoSchedule|PreferNoSchedule|NoExecute)$"


class ConfigProblem(LabforgeError):
    """Every problem of a stack config, one per line, each naming the key to fix: labforge's one
    error shape, each Problem's place a stack key (`labforge:hub.host`)."""

    def __init__(self, problems: list[str | Problem]):
        super().__init__([p if isinstance(p, Problem) else Problem(*p.split(": ", 1)) for p in problems])
        lines = "\n".join(f"  - {p}" for p in self.problems)
        self.args = (f"invalid stack configuration ({len(self.problems)} problem(s)):\n{lines}",)

    def __str__(self) -> str:
        return self.args[0]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)


def toleration(taint: str) -> dict:
    """The pod toleration of a node taint written `key=value:Effect`."""
    key_value, effect = taint.rsplit(":", 1)
    key, value = key_value.split("=", 1)
    return {"key": key, "operator": "Equal", "value": value, "effect": effect}
