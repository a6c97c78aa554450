"""The notebook server's kernel manager in lab images: a restarted kernel starts with the
server's environment as it is now, so a tool version the user chose in the Lmod panel since the
kernel first started reaches it (jupyter_client restarts a kernel with the environment it was
first given). And its kernel specs: on a release the hub deprecated (LAB_RELEASE_NOTICE), the
kernel's name in the launcher and the status bar says so. The server's config names both
(jupyter_server_config.py).

Part of the labforge build context; labforge copies it, never edit it in a render.
"""

import os

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_server.services.kernels.kernelmanager import ServerKernelManager


class ReleaseKernelManager(ServerKernelManager):
    async def restart_kernel(self, *args, **kwargs):
        env = (self._launch_args or {}).get("env")
        if isinstance(env, dict):
            # the server's modules now; the session's own variables (JPY_SESSION_NAME) stay
            self._launch_args["env"] = {**os.environ, **{k: v for k, v in env.items() if k.startswith("JPY_")}}
        return await super().restart_kernel(*args, **kwargs)


class ReleaseKernelSpecManager(KernelSpecManager):
    def get_kernel_spec(self, kernel_name):
        spec = super().get_kernel_spec(kernel_name)
        if os.environ.get("LAB_RELEASE_NOTICE") and not spec.display_name.endswith("(deprecated)"):
            spec.display_name = f"{spec.display_name} (deprecated)"
        return spec
