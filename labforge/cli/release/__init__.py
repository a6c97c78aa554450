"""`labforge release ...`: one module per part of a release's life (manifest, images, try, pipeline)."""

from . import images, pipeline, manifest  # noqa: F401 -- they register their commands (in this order)
