"""labforge's side of the deployed hub, through its REST API: the client (api), `hub usage`
(usage; users' own environments on the Drive: environments) and `hub check` (check). The hub's
own side (spawner, services) is infra/hub."""
