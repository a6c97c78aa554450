"""Release locks and what is read from them without spack: the lock file, the rules a lock must
follow, whether it is current (provenance), package-level release notes, and the image's package
layers planned from it. Nothing here runs spack (labforge/spackbuild does)."""
