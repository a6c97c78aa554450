"""Every conversation with an OCI registry: credentials (auth), the one client that runs skopeo and
oras with the registry's TLS setting and retries (client, bundle), repository names and layer
compression. Nothing outside this folder builds a registry command line."""
