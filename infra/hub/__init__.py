"""JupyterHub (z2jh): its chart release, values, profile list, pre-pulling, the user namespace and egress."""
