"""The Pulumi program without a cloud: Pulumi's mocks, the offline run, and `make plan`."""
