"""`labforge release ...`: one module per part of a release's life: images (build, test, publish,
try), pipeline (pipeline, builder), manifest (validate, render, lock, diff, import)."""

# The import order is the order `labforge release --help` lists the commands in.
# isort: off
from . import images, pipeline, manifest  # noqa: F401 -- they register their commands
# isort: on
