"""The image test suite: pytest-testinfra checks run against a built image's root filesystem.

Run by `labforge release test ID`; a site can run the same suite in its own CI:
    LABFORGE_ROOTFS=/mnt/rootfs LABFORGE_IMAGE_CONFIG=config.json pytest --pyargs labforge.suites.image
"""
