"""Batch tool images with a real spack (SPACK_ROOT and LABFORGE_SPACK_IMAGE=1; skipped otherwise):
they share the notebook image's layers, pass their own suite, reach the registry and the catalog."""

from __future__ import annotations

import json

from conftest import HOST_CA
from spack_marks import builds_images, needs_spack
from test_spack_release import layer_digests, six_release, small_project

pytestmark = needs_spack


def manifest_layers(reference: str) -> list[str]:
    from labforge.images.publish import read_manifest

    raw = read_manifest(reference, tls_verify=False)
    return [layer["digest"] for layer in json.loads(raw)["layers"]]


@builds_images
def test_batch_images_share_the_notebook_layers_pass_their_suite_and_reach_the_catalog(tmp_path):
    from labforge.catalog import load_catalog
    from labforge.images.batch_images import build_batch
    from labforge.images.batch_publish import publish_batch
    from labforge.images.publish import publish_release
    from labforge.images.release_image import build_release
    from labforge.imagetests.runner import test_batch_images
    from labforge.loopback.registry import local_registry
    from labforge.spackbuild.concretize import lock_release

    project = small_project(tmp_path / "project")
    (project.root / "releases" / "2030.02.yaml").write_text(six_release('"1.17.0", "1.16.0"'))
    ca = HOST_CA
    lock_release(project, "2030.02")
    with local_registry(tmp_path / "registry") as address:
        options = dict(ca_certs=ca, spack_cache=f"{address}/spack-cache/buildcache", tls_verify=False,
                       unsigned_cache=True)
        notebook = build_release(project, "2030.02", force=True, **options)
        batch = build_batch(project, "2030.02", force=True, **options)  # the local store may hold them
        assert notebook.spack.compiled >= 2
        assert sorted(batch.built) == ["localhost/labforge/tools/py-six:1.16.0-2030.02",
                                       "localhost/labforge/tools/py-six:1.17.0-2030.02"]
        notebook_layers = layer_digests(notebook.reference)
        for reference in batch.built:
            layers = layer_digests(reference)
            # base, apt, then the package layers: all the notebook image's own; then one layer of its own
            assert layers[:2] == notebook_layers[:2]
            shared = [d for d in layers if d in notebook_layers]
            assert len(shared) >= 3 and set(layers) - set(notebook_layers), reference
        assert test_batch_images(project, "2030.02", ca) == {ref: 0 for ref in batch.built}

        catalog = tmp_path / "catalog.json"
        publish_release(project, "2030.02", f"{address}/lab", catalog, tls_verify=False)
        published = publish_batch(project, "2030.02", f"{address}/tools", catalog, tls_verify=False)
        assert len(published) == 2
        notebook_blobs = manifest_layers(f"{address}/lab/notebook:2030.02")
        for item in published:
            blobs = manifest_layers(item.reference)
            assert len([b for b in blobs if b in notebook_blobs]) >= 3  # the registry holds them once
        tools = load_catalog(catalog).tools
        assert [(t.tool, t.version, t.release) for t in tools] == [("py-six", "1.16.0", "2030.02"),
                                                                    ("py-six", "1.17.0", "2030.02")]
        assert tools[0].image == f"{address}/tools/py-six" and tools[0].command == "python3"
        again = build_batch(project, "2030.02", **options)
        assert again.built == [] and len(again.skipped) == 2
