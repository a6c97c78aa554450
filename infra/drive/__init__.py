"""The Drive: the shared volume (Manila or NFS), object storage, and the layout job that makes its top folders."""
