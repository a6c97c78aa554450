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
    notice = os.environ.get(VARIABLE, "").strip()
    if not notice:
        return

    def show_once(*_args):
        print(f"Notice: {notice}", file=sys.stderr)
        shell.events.unregister("pre_run_cell", show_once)

    shell.events.register("pre_run_cell", show_once)
