"""The Kubernetes cluster and what every node needs: network, Magnum (or an existing cluster), GPU support, ingress and TLS."""
