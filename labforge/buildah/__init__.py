"""The build step: images made with buildah (local store, `buildah bud`), one module per image: the OS
base, the notebook image of a release, its batch tool images, the CI builder, a tool developer's
build; and the CA bundle a build trusts."""
