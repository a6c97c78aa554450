"""The lab's Pulumi program: OpenStack and Kubernetes for the hub, Harbor and the Drive."""
