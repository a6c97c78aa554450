"""The release's notice in every kernel: when the hub deprecated the release this server runs
(`labforge catalog deprecate`), its profile sets LAB_RELEASE_NOTICE, and the first cell a
notebook runs prints it, once, before its own output. An IPython extension the release kernel
loads (`--ext lab_notice` in its launcher).

Part of the labforge build context; labforge copies it, never edit it in a render.
"""

import os
import sys

VARIABLE = "LAB_RELEASE_NOTICE"


def load_ipython_extension(shell):
    # a user's environment built on another release (lab_kernels.py sets it on its kernel)
    notices = [os.environ.get(name, "").strip() for name in (VARIABLE, "LAB_ENV_NOTICE")]
    notice = " ".join(n for n in notices if n)
    if not notice:
        return

    def show_once(*_args):
        print(f"Notice: {notice}", file=sys.stderr)
        shell.events.unregister("pre_run_cell", show_once)

    shell.events.register("pre_run_cell", show_once)
