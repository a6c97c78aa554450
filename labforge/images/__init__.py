"""Building, testing and publishing release images with buildah, skopeo and oras."""
