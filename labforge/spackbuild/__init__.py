"""The spack half of the release builder: locked releases, the binary build cache and the
per-package image layers planned from a lock. Everything here works without spack; only
`labforge.spackbuild.concretize` (which runs spack to make a lock) and the build stage need it."""
