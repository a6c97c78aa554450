"""Helpers the test suites share: the project and CLI, spack marks and fake installs, Pulumi stacks,
real JupyterHubs on loopback, a lab's GitLab."""
