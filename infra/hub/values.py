"""Values for the zero-to-jupyterhub chart, built by one small function per concern."""

from __future__ import annotations

import json
from pathlib import Path

from labforge.catalog.model import Catalog

from ..cluster.gateway import NAME as GATEWAY
from ..cluster.gateway import NAMESPACE as GATEWAY_NAMESPACE
from ..cluster.gateway import listener_name
from ..config.stack import StackConfig
from ..config.versions import KUBE_SCHEDULER
from ..harbor import PULL_SECRET
from .egress import singleuser_network_policy
from .pod import drive_hook, hub_service, lab_spawner
from .prepull import extra_images
from .profiles import profile_list, retired_notices
from .services import share
from .services.check import labforge_check
from .services.metrics import labforge_metrics
from .services.service import FOLDER, HubService, shipped
from .services.share import lab_share
from .services.token import lab_token

HOME = drive_hook.HOME
# What both hub services import, shipped next to them (the folder of their SERVICE_FILEs).
SERVICE_HELPERS = f"{FOLDER}/hub_service.py"
DRIVE_VOLUME = "lab-drive"


def oidc_endpoints(issuer: str) -> dict[str, str]:
    # Keycloak's layout (EBRAINS IAM, most university IAMs): <issuer>/protocol/openid-connect/...
    base = f"{issuer}/protocol/openid-connect"
    return {"authorize_url": f"{base}/auth", "token_url": f"{base}/token", "userdata_url": f"{base}/userinfo"}


def auth_values(config: StackConfig, client_secret) -> dict:
    oidc = config.oidc
    return {
        "JupyterHub": {"authenticator_class": "generic-oauth"},
        "Authenticator": {
            "enable_auth_state": True,
            "allow_all": oidc.allow_all,
            # Refresh the IAM token before each spawn, so group changes and expiry are seen.
            "refresh_pre_spawn": True,
            "auth_refresh_age": 900,
        },
        "GenericOAuthenticator": {
            "client_id": oidc.client_id,
            "client_secret": client_secret,
            "oauth_callback_url": f"https://{config.hub.host}/hub/oauth_callback",
            **oidc_endpoints(oidc.issuer),
            "scope": oidc.scopes + ["offline_access"],
            "username_claim": oidc.username_claim,
            "allowed_groups": oidc.allowed_groups,
            "admin_groups": oidc.admin_groups,
            "manage_groups": True,
            "auth_state_groups_key": f"oauth_user.{oidc.groups_claim}",
            "login_service": "Lab IAM",
        },
    }


def drive_settings(config: StackConfig, claim: str, image: str) -> dict:
    groups = sorted(set(config.oidc.drive_groups or config.oidc.allowed_groups) | set(config.oidc.admin_groups))
    return {"claim": claim, "volume": DRIVE_VOLUME, "root": drive_hook.ROOT, "groups": groups,
            "patterns": list(config.drive.group_patterns), "max_groups": config.drive.max_groups,
            "image": image, "uid": 1000, "gid": 1000,
            "shares": {"store": share.STORE, "max_received": 30}}


def drive_extra_config(settings: dict) -> str:
    """The Drive hook's source plus its settings, run by the hub as part of jupyterhub_config.py."""
    return shipped_config(drive_hook, f"DRIVE_SETTINGS = {_as_python(settings)}",
                          "c.KubeSpawner.pre_spawn_hook = drive_pre_spawn_hook")


def releases_extra_config(catalog: Catalog) -> str:
    """The retired releases' gate (infra/hub/pod/lab_spawner.py) with their messages; the hub
    then spawns with its LabSpawner, a KubeSpawner."""
    return shipped_config(lab_spawner, f"RETIRED_RELEASES.update({_as_python(retired_notices(catalog))})",
                          "c.JupyterHub.spawner_class = LabSpawner", "register_release_servers()")


def shipped_config(module, *lines: str) -> str:
    """A file of infra/hub/pod as hub.extraConfig: its source, then the lines that give it its
    settings and hook it into the hub (run by the hub as part of jupyterhub_config.py)."""
    source = Path(module.__file__).read_text(encoding="utf-8")
    return f"{source}\n\nimport json as _json\n" + "".join(f"{line}\n" for line in lines)


def _as_python(data) -> str:
    """Settings as a Python expression that rebuilds them exactly (JSON text, parsed by the hub)."""
    return f"_json.loads({json.dumps(json.dumps(data, sort_keys=True))})"


def storage_values(config: StackConfig, home_class: str) -> dict:
    volumes = [{"name": f"dataset-{d.name}", "persistentVolumeClaim": {"claimName": d.claim, "readOnly": True}}
               for d in config.hub.datasets]
    mounts = [{"name": f"dataset-{d.name}", "mountPath": f"{HOME}/datasets/{d.name}", "readOnly": True,
               **({"subPath": d.sub_path} if d.sub_path else {})} for d in config.hub.datasets]
    return {"type": "dynamic", "capacity": config.hub.home_size, "homeMountPath": HOME,
            "dynamic": {"storageClass": home_class}, "extraVolumes": volumes, "extraVolumeMounts": mounts}


def default_image(config: StackConfig, catalog: Catalog) -> dict:
    """The default profile's image, by tag and digest: the pre-puller pulls it, the Drive's
    init container runs in it."""
    default = catalog.default_entry()
    repository = config.hub.image_repository or default.image
    return {"name": repository, "tag": f"{default.id}@{default.digest}", "pullPolicy": "IfNotPresent",
            "pullSecrets": [PULL_SECRET]}


def default_image_reference(config: StackConfig, catalog: Catalog) -> str:
    """The default image as one reference (NAME:TAG@DIGEST), for containers outside the chart."""
    image = default_image(config, catalog)
    return f"{image['name']}:{image['tag']}"


def singleuser_values(config: StackConfig, catalog: Catalog, home_class: str, services: list[HubService]) -> dict:
    profiles = profile_list(catalog, config.hub.resources, dict(config.hub.profile_resources),
                            config.hub.image_repository, config.cluster.gpu_nodes)
    return {
        "image": default_image(config, catalog),
        "profileList": profiles,
        "uid": 1000,
        "fsGid": 1000,
        "allowPrivilegeEscalation": False,
        "defaultUrl": "/lab",
        "storage": storage_values(config, home_class),
        "extraEnv": {key: value for service in services for key, value in service.extra_env().items()},
        "networkPolicy": singleuser_network_policy(config, services),
        # Blocked by the network policy above instead: the iptables way needs a privileged init container.
        "cloudMetadata": {"blockWithIptables": False},
        "startTimeout": 600,
    }


def hub_values(config: StackConfig, catalog: Catalog, client_secret, drive_claim: str, home_class: str,
               user_nodes: bool, check_token=None, metrics_token=None) -> dict:
    host = config.hub.host
    services = lab_services(config, check_token, metrics_token)
    drive = drive_settings(config, drive_claim, default_image_reference(config, catalog))
    return {
        "hub": {
            "config": auth_values(config, client_secret),
            "extraConfig": {"labforge-drive": drive_extra_config(drive),
                            "labforge-releases": releases_extra_config(catalog),
                            **{key: text for service in services for key, text in (service.config or {}).items()}},
            "services": {service.name: service.service for service in services},
            "loadRoles": {name: role for service in services for name, role in service.roles.items()},
            "extraFiles": {**{key: file for service in services for key, file in service.extra_files().items()},
                           **service_helpers()},
            "service": {"extraPorts": [port for service in services for port in service.extra_ports()]},
            "networkPolicy": {"enabled": True, "ingress": [rule for service in services for rule in service.hub_ingress()]},
            "allowNamedServers": False,
        },
        "proxy": {"service": {"type": "ClusterIP"}, "chp": {"networkPolicy": {"enabled": True}}},
        # The lab's Gateway terminates TLS (its https-hub listener, certificate by cert-manager).
        "httpRoute": {"enabled": True, "hostnames": [host],
                      "gateway": {"name": GATEWAY, "namespace": GATEWAY_NAMESPACE, "sectionName": listener_name("hub")}},
        "singleuser": singleuser_values(config, catalog, home_class, services),
        "scheduling": {"userScheduler": {"enabled": True, "image": {"tag": KUBE_SCHEDULER[config.cluster.kubernetes_version]}},
                       "userPods": {"nodeAffinity": {"matchNodePurpose": "require" if user_nodes else "prefer"}}},
        # the default (singleuser.image) and the previous default on every user node (infra/hub/prepull.py)
        "prePuller": {"hook": {"enabled": True}, "continuous": {"enabled": True}, "pullProfileListImages": False,
                      "extraImages": extra_images(catalog, config.hub.image_repository)},
        "cull": {"enabled": True, "timeout": config.hub.cull_timeout, "every": 600, "users": False},
    }


def lab_services(config: StackConfig, check_token=None, metrics_token=None) -> list[HubService]:
    """The services the hub runs for the lab: lab-token, lab-share; labforge-check and
    labforge-metrics when the hub check and the monitoring are on."""
    token_url = oidc_endpoints(config.oidc.issuer)["token_url"]
    services = [lab_token(token_url, config.oidc.client_id, f"https://{config.hub.host}/hub/login", (share.NAME,)),
                lab_share()]
    if config.hub.check.enabled:
        services.append(labforge_check(config.hub.check.user, check_token))
    if config.monitoring.enabled:
        services.append(labforge_metrics(metrics_token))
    return services


def service_helpers() -> dict:
    """What the lab-token and lab-share services both import, shipped next to them."""
    return shipped("lab-hub-service", SERVICE_HELPERS, hub_service)
