"""The render step: a release turned into a build context (release), file by file: the spack stage,
kernels, server layers, batch stages, the Apptainer definition and the release record."""
