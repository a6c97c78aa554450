"""The typed stack configuration (`labforge:*` keys, stack), checked before any resource: the model
parts (base, hubcheck, runners), the cross-checks (checks) and the supported versions (versions)."""
