"""Files shipped unchanged into the hub pod (hub.extraFiles, hub.extraConfig): the Drive hook and the lab
services. Each runs there on its own: the standard library, JupyterHub and each other only."""
