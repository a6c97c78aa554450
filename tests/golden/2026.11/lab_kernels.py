"""The notebook server's kernel manager in lab images: a restarted kernel starts with the
server's environment as it is now, so a tool version the user chose in the Lmod panel since the
kernel first started reaches it (jupyter_client restarts a kernel with the environment it was
first given). And its kernel specs: on a release the hub deprecated (LAB_RELEASE_NOTICE), the
kernel's name in the launcher and the status bar says so; and the kernels of the user's own
environments (lab_env.py, on the Drive), marked stale when built on another release. The server's
config names both (jupyter_server_config.py).

Part of the labforge build context; labforge copies it, never edit it in a render.
"""

import glob
import os

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_server.services.kernels.kernelmanager import ServerKernelManager
from traitlets import default


class ReleaseKernelManager(ServerKernelManager):
    async def restart_kernel(self, *args, **kwargs):
        env = (self._launch_args or {}).get("env")
        if isinstance(env, dict):
            # the server's modules now; the session's own variables (JPY_SESSION_NAME) and a user
            # environment's (LAB_ENV_MODULES) stay
            self._launch_args["env"] = {**os.environ, **{k: v for k, v in env.items() if k.startswith(("JPY_", "LAB_ENV"))}}
        return await super().restart_kernel(*args, **kwargs)


# Users' own environments (lab_env.py): their kernels live on the Drive, so they are there at
# once (the directory is read on each listing) and after every server start.
ENV_KERNELS = os.path.join(os.environ.get("LAB_ENV_HOME") or os.path.join(os.path.expanduser("~"), "drive",
                                                                          ".lab-envs"), "kernels")


class ReleaseKernelSpecManager(KernelSpecManager):
    @default("kernel_dirs")
    def _kernel_dirs_default(self):
        # the groups' environments: each of the user's group folders on the Drive (mounted at
        # start); named whether or not it has kernels yet, so a group's first one shows at once
        groups = sorted(glob.glob(os.path.join(os.path.expanduser("~"), "drive", "Shared with groups", "*", "")))
        return [*super()._kernel_dirs_default(), ENV_KERNELS, *(os.path.join(g, ".lab-envs", "kernels") for g in groups)]

    def get_kernel_spec(self, kernel_name):
        spec = super().get_kernel_spec(kernel_name)
        built = (spec.metadata or {}).get("lab_env") or {}
        release = os.environ.get("LAB_RELEASE")
        if built and release and built.get("release") != release:
            # an environment built on another release: said in its name and in its first cell
            spec.display_name = f"{spec.display_name} (stale: built on {built.get('release')})"
            spec.env = {**(spec.env or {}), "LAB_ENV_NOTICE": (
                f"the environment {built.get('name')} was built on release {built.get('release')}; this server runs "
                f"{release}. Run `lab-env rebuild {built.get('name')}` in a terminal to rebuild it here.")}
        if os.environ.get("LAB_RELEASE_NOTICE") and not spec.display_name.endswith("(deprecated)"):
            spec.display_name = f"{spec.display_name} (deprecated)"
        return spec
