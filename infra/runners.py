"""GitLab Runner on the lab's own cluster, for release pipelines (one CI job per spack package):
GitLab's official chart with the Kubernetes executor. Every job is a pod on the build node
group (its label and taint), sized jobCpu/jobMemory, at most `concurrent` at once. The runner
token comes from Pulumi config (a secret) into a Kubernetes Secret the chart reads; the
builder images are pulled, and binaries pushed, with Harbor's release-pipeline robot, whose
credentials reach job pods as a mounted Secret, never as chart values."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from labforge.spackbuild.cache import JOB_CREDENTIALS

from .config.runners import Runners
from .options import children

CHART_REPO = "https://charts.gitlab.io"
TOKEN_SECRET = "gitlab-runner-token"  # keys the chart reads: runner-token, runner-registration-token
PULL_SECRET = "labforge-build-pull"  # dockerconfigjson: the builder images in Harbor
CREDENTIALS_SECRET = "labforge-build-registry"  # user/password files for spack's pushes


def runner_toml(r: Runners) -> str:
    """The runner's config.toml template (`runners.config`): Kubernetes executor settings."""
    selector = "\n".join(f'      "{k}" = "{v}"' for k, v in sorted(r.labels.items()))
    taint, effect = r.taint.rsplit(":", 1)
    return (f'[[runners]]\n  [runners.kubernetes]\n    namespace = "{r.namespace}"\n'
            f'    cpu_request = "{r.job_cpu}"\n    memory_request = "{r.job_memory}"\n'
            f'    memory_limit = "{r.job_memory}"\n    image_pull_secrets = ["{PULL_SECRET}"]\n'
            f"    [runners.kubernetes.node_selector]\n{selector}\n"
            f'    [runners.kubernetes.node_tolerations]\n      "{taint}" = "{effect}"\n'
            f"    [[runners.kubernetes.volumes.secret]]\n      name = \"{CREDENTIALS_SECRET}\"\n"
            f'      mount_path = "{JOB_CREDENTIALS}"\n      read_only = true\n')


def runner_values(r: Runners) -> dict:
    return {
        "gitlabUrl": r.gitlab_url,
        "concurrent": r.concurrent,
        "checkInterval": 10,
        "rbac": {"create": True},
        "runners": {"secret": TOKEN_SECRET, "config": runner_toml(r)},
        # the runner manager itself runs on the build nodes too
        "nodeSelector": dict(r.labels),
        "tolerations": [r.toleration()],
    }


class GitLabRunners(pulumi.ComponentResource):
    def __init__(self, name: str, settings: Runners, token: pulumi.Input[str], registry,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("labforge:infra:GitLabRunners", name, None, opts)
        child = children(self, opts)
        namespace = k8s.core.v1.Namespace(f"{name}-ns", metadata={"name": settings.namespace}, opts=child)
        in_ns = children(self, opts, namespace)
        token_secret = k8s.core.v1.Secret(
            f"{name}-token", metadata={"name": TOKEN_SECRET, "namespace": settings.namespace},
            string_data={"runner-token": pulumi.Output.secret(token), "runner-registration-token": ""}, opts=in_ns)
        robot = registry.robot
        pull = k8s.core.v1.Secret(
            f"{name}-pull", metadata={"name": PULL_SECRET, "namespace": settings.namespace},
            type="kubernetes.io/dockerconfigjson", string_data={".dockerconfigjson": registry.robot_docker_config},
            opts=in_ns)
        credentials = k8s.core.v1.Secret(
            f"{name}-registry", metadata={"name": CREDENTIALS_SECRET, "namespace": settings.namespace},
            string_data={"user": robot.full_name, "password": pulumi.Output.secret(robot.secret)}, opts=in_ns)
        self.release = k8s.helm.v3.Release(
            f"{name}-chart", name="gitlab-runner", chart="gitlab-runner", version=settings.chart_version,
            namespace=settings.namespace, repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPO),
            values=runner_values(settings), opts=children(self, opts, token_secret, pull, credentials))
        self.register_outputs({})
