"""Running spack for the release builder: concretizing a release into its lock, a tool version on
top of a release, the pinned spack and recipes, the GitLab pipeline (`spack ci generate`), the
binary build cache's settings, and reading what the spack build stage did. The lock format itself
and what is planned from it without spack are in labforge/locks."""
