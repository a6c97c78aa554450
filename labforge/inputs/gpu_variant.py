"""A release's GPU variant: the same tools, built with CUDA on a CUDA-capable base the site gives.

    gpu:
      base_image: registry.lab.example.org/base/bookworm-cuda:12.6   # Debian <suite> + CUDA toolkit
      cuda: "12.6.2"                 # the toolkit in that image: a spack external, never built
      cuda_prefix: /usr/local/cuda   # where it is (the default)
      variants:                      # spack variants per tool that has them
        arbor: "+cuda cuda_arch=80"

It is addressed as `<id>-gpu` everywhere an image is: `labforge release lock|render|build|test|
publish 2026.11-gpu`, its lock `releases/2026.11-gpu.lock.json`, its tag `notebook:2026.11-gpu`,
and the catalog entry of 2026.11 (`gpu`). Its kernel keeps the release's name: notebooks move
between the CPU and GPU image of one release unchanged.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from ..core.errors import Problem
from ..core.fields import AbsolutePath
from ..core.yamlio import Located
from .references import check_reference
from .specs import SpecSyntaxError, parse

SUFFIX = "-gpu"


class GpuVariant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base_image: StrictStr

    _base_image = field_validator("base_image")(check_reference)
    cuda: StrictStr = Field(pattern=r"^[0-9]+\.[0-9]+(\.[0-9]+)?$")
    cuda_prefix: AbsolutePath = "/usr/local/cuda"
    variants: dict[StrictStr, StrictStr] = Field(min_length=1)


def split_id(image_id: str) -> tuple[str, str | None]:
    """'2026.11-gpu' -> ('2026.11', 'gpu'); '2026.11' -> ('2026.11', None)."""
    if image_id.endswith(SUFFIX):
        return image_id[: -len(SUFFIX)], "gpu"
    return image_id, None


def check_gpu(gpu: GpuVariant, located: Located, tools: dict[str, str]) -> list[Problem]:
    """`tools`: the release's tool name -> package. Every variant names one of them and parses."""
    problems = []
    for name, text in gpu.variants.items():
        where = ("gpu", "variants", name)
        if name not in tools:
            problems.append(located.problem(where, f"{name!r} is not a tool of this release",
                                            f"use one of: {', '.join(sorted(tools))}"))
            continue
        try:
            parse(f"{tools[name]} {text}")
        except SpecSyntaxError as exc:
            problems.append(located.problem(where, f"bad variants {text!r}: {exc}",
                                            "write spack variants, e.g. '+cuda cuda_arch=80'"))
    return problems
