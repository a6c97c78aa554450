"""Batch tool images with a real spack (SPACK_ROOT and LABFORGE_SPACK_IMAGE=1; skipped otherwise):
they share the notebook image's layers, pass their own suite, reach the registry and the catalog."""

from __future__ import annotations

import json

from tests.helpers.project import HOST_CA
from tests.helpers.spack_marks import builds_images, needs_spack
from tests.helpers.spack_release import layer_digests, six_release, small_project

pytestmark = needs_spack
RELEASE = "2030.04"  # this file's own: the spack tests run two files at a time, and image names follow release ids


def manifest_layers(reference: str) -> list[str]:
    from labforge.registry.client import inspect_manifest

    raw = inspect_manifest(reference, tls_verify=False)
    return [layer["digest"] for layer in json.loads(raw)["layers"]]


@builds_images
def test_batch_images_share_the_notebook_layers_pass_their_suite_and_reach_the_catalog(tmp_path):
    from labforge.buildah.batch import build_batch
    from labforge.buildah.notebook import build_release
    from labforge.catalog.store import load_catalog
    from labforge.loopback.registry import local_registry
    from labforge.publish.release import publish
    from labforge.spackbuild.concretize import lock_release
    from labforge.suites.image.runner import test_batch_images

    project = small_project(tmp_path / "project")
    (project.root / "releases" / f"{RELEASE}.yaml").write_text(six_release('"1.17.0", "1.16.0"', RELEASE))
    ca = HOST_CA
    lock_release(project, RELEASE)
    with local_registry(tmp_path / "registry") as address:
        options = dict(ca_certs=ca, spack_cache=f"{address}/spack-cache/buildcache", tls_verify=False,
                       unsigned_cache=True)
        notebook = build_release(project, RELEASE, force=True, **options)
        batch = build_batch(project, RELEASE, force=True, **options)  # the local store may hold them
        assert notebook.spack.compiled >= 2
        assert sorted(batch.built) == [f"localhost/labforge/tools/py-six:1.16.0-{RELEASE}",
                                       f"localhost/labforge/tools/py-six:1.17.0-{RELEASE}"]
        notebook_layers = layer_digests(notebook.reference)
        for reference in batch.built:
            layers = layer_digests(reference)
            # base, apt, then the package layers: all the notebook image's own; then one layer of its own
            assert layers[:2] == notebook_layers[:2]
            shared = [d for d in layers if d in notebook_layers]
            assert len(shared) >= 3 and set(layers) - set(notebook_layers), reference
        assert test_batch_images(project, RELEASE, ca) == {ref: 0 for ref in batch.built}

        catalog = tmp_path / "catalog.json"
        published = publish(project, RELEASE, f"{address}/lab", catalog, tools=True, tools_registry=f"{address}/tools",
                            tls_verify=False).tools
        assert len(published) == 2
        notebook_blobs = manifest_layers(f"{address}/lab/notebook:{RELEASE}")
        for item in published:
            blobs = manifest_layers(item.reference)
            assert len([b for b in blobs if b in notebook_blobs]) >= 3  # the registry holds them once
        tools = load_catalog(catalog).tools
        assert [(t.tool, t.version, t.release) for t in tools] == [("py-six", "1.16.0", RELEASE),
                                                                    ("py-six", "1.17.0", RELEASE)]
        assert tools[0].image == f"{address}/tools/py-six" and tools[0].command == "python3"
        again = build_batch(project, RELEASE, **options)
        assert again.built == [] and len(again.skipped) == 2
