"""What the spack benches share: their command line, and what they do without spack."""

from __future__ import annotations

import argparse
import os
from typing import Callable


def spack_bench_args(without_spack: Callable[[], None] | None = None) -> argparse.Namespace | None:
    """The parsed `--ca-cert` options; None (after saying why, and printing `without_spack`'s
    figures) when SPACK_ROOT is not set, since the builds need spack."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--ca-cert", action="append", default=[], help="CA bundle to trust during builds")
    args = parser.parse_args()
    if os.environ.get("SPACK_ROOT"):
        return args
    print("SPACK_ROOT is not set: no builds (they need spack).")
    if without_spack:
        without_spack()
    return None
