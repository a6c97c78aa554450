"""The publish step: a built release pushed by digest with its bundle (release), its batch tool images
(batch), the SBOM and release notes in the bundle, then the catalog."""
