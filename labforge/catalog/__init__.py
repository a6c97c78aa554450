"""The catalog step: the release catalog the hub reads (model), the verbs of a release's life
(lifecycle) and its tables for people (tables)."""
