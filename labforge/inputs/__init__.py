"""The manifest step: every file a person writes, read and checked. The site settings and where
things live (project), tool submissions (tools, specs, recipes), release manifests (releases, the GPU
variant), image references, supported platforms, the runtime pins, `release import` (importer; spackenv,
spack_includes and spack_when read spack's environment grammar; spack_packages and package_rules its
`packages:`; pins, spack_versions and recipes pin its roots) and which tools a change touches (changes)."""
