"""labforge: turn versioned tool releases into notebook images for a JupyterHub lab."""

__version__ = "0.1.0"
