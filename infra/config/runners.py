"""Stack configuration of the lab's own GitLab runners (`labforge:runners`), which build release
packages, one CI job per package (README: "Release builds on the lab's runners")."""

from __future__ import annotations

from pydantic import Field, model_validator

from .base import TAINT, NodeLabels, _Model, toleration


class Runners(_Model):
    gitlab_url: str = Field(pattern=r"^https://[!-~]+$")
    # gitlab/gitlab-runner; its facts: tests/fixtures/gitlab-runner-0.86.0
    chart_version: str = Field("0.86.0", pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$")
    namespace: str = Field("gitlab-runner", pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    # Jobs at once over all build nodes; each job is a pod asking for jobCpu and jobMemory.
    concurrent: int = Field(8, ge=1, le=500)
    job_cpu: str = Field("4", pattern=r"^[0-9]+(\.[0-9]+)?$|^[0-9]+m$")
    job_memory: str = Field("8Gi", pattern=r"^[0-9]+[MG]i$")
    # The build node group (Magnum): its own flavor, scaled between minNodes and maxNodes.
    flavor: str | None = None
    min_nodes: int = Field(1, ge=0)
    max_nodes: int = Field(8, ge=1)
    labels: NodeLabels = Field(default_factory=lambda: {"labforge.org/node-purpose": "build"})
    taint: str = Field("labforge.org/build=true:NoSchedule",
                       pattern=TAINT)

    @model_validator(mode="after")
    def _sizes(self) -> "Runners":
        if self.min_nodes > self.max_nodes:
            raise ValueError(f"runners.minNodes ({self.min_nodes}) is above runners.maxNodes ({self.max_nodes})")
        return self

    def toleration(self) -> dict:
        return toleration(self.taint)
