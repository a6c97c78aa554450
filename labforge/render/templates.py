"""The Jinja2 environment for the images' templates (images/*/templates, one search path): strict,
so a missing value fails loudly."""

from __future__ import annotations

import shlex
from functools import lru_cache
from pathlib import Path

import jinja2


@lru_cache(maxsize=8)
def environment(template_dirs: tuple[Path, ...]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["shell_quote"] = shlex.quote
    return env


def render(template_dirs: tuple[Path, ...], name: str, context: dict) -> str:
    return environment(template_dirs).get_template(name).render(**context)
