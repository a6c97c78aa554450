"""The test step: suites shipped with labforge and run against a built image (image: pytest-testinfra
on its root filesystem) or a served Lab (browser: chromium)."""
