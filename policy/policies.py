"""promshield's CrossGuard policies: the security rules every stack must keep.

This module is the pack's table (name, description, check); the checks live in one module per
domain: `containers`, `network`, `files`, `monitoring`, `firewall`, with `support` for reading
a resource's props. Type tokens and label keys come from `components/core/catalog.py`.

Importable on purpose: constructing `PolicyPack` starts a gRPC server and blocks, so the pack is
built only in `policy/__main__.py`, and the tests call these policies' `validate` directly.

What the policies see (pulumi-policy 1.21, checked against its source):
- Resource policies get one resource's *inputs*; stack policies get every resource's state.
  Secret values arrive unwrapped (the engine sends them with `KeepSecrets`, the SDK drops the
  secret marker), so a key or a password hash in an upload is visible to the policies.
- A value that depends on a resource not created yet is *unknown* during `pulumi preview` (in a
  new stack's first preview: every key and certificate from pulumi-tls, every hash built on
  pulumi-random, every image id). Reading one raises `UnknownValueError`; the SDK reports it as
  an advisory "can't run policy ... during preview". At `pulumi up` every input is known before
  its resource is created, so each policy runs in full before anything changes. Where a value
  is not visible:
  * files: an upload whose content is unknown is judged by its path alone (htpasswd, a
    `secrets` directory, `.key`, `*password*`, ...); its content is checked at `pulumi up`.
  * web config and remote write: every check that needs no content runs first (the flag, the
    file's presence, other containers); then the unknown is re-raised, so the preview shows
    the content check as deferred rather than passed. A file no policy can ever read (from the
    host, a local `source`, or baked into the image) fails: the rule cannot be verified.
  * a container's `image` is the pulled image's id (`RemoteImage.image_id`): unknown in a
    first preview, an immutable `sha256:` id at `up`. The tag is pinned where it is chosen:
    the `RemoteImage` name, the built `Image`'s name and its `*IMAGE` build args.
- Services get their files through *carriers* (components/core/hardening.py): containers that
  are created, never started, and upload the files into volumes the service mounts read-only,
  a config carrier (kind=config: plain uploads) and a secrets carrier (kind=secrets: keys,
  hashes, passwords). The file rules apply to every container's uploads, and a config carrier
  must hold no secret (its uploads would all turn secret); the rules that read a service's file
  (web config, prometheus.yml) are stack policies that follow the service's volume mounts to
  the upload that fills them.
- `args.get_config()` is the *policy pack's* config (`--policy-pack-config`), not the stack's.
  The stack's config reaches a Python policy pack as the `PULUMI_CONFIG` environment variable
  (JSON, `"promshield:key": "value"`), as it reaches a Python program: `stack_config()` reads
  it. `allowPublicBind` and `enableAdminApi` come from there. The remote-write and OTLP
  receivers have no stack key and are allowed only by the pack's config
  (`{"prometheus-admin-endpoints-off": {"allowRemoteWriteReceiver": true}}`), so a stack
  cannot allow them for itself.

Fixed facts (service names, label keys, file paths, network names, modes) come from
`components/core/catalog.py`, the one place the program defines them.
"""

from __future__ import annotations

from pulumi_policy import PolicyConfigSchema, ResourceValidationPolicy, StackValidationPolicy

from components.core import catalog
from policy.containers import (
    drop_all_capabilities,
    image_pinned,
    memory_limit,
    no_host_access,
    no_new_privileges,
    no_secrets_in_env,
    non_root_user,
    not_privileged,
    read_only_root,
)
from policy.files import secret_file_modes, secrets_apart_from_config
from policy.firewall import firewall_guards_published_ports
from policy.monitoring import admin_endpoints_off, remote_write_secure, web_config_mtls
from policy.network import backend_network_internal, only_proxy_publishes, ports_on_one_address
from policy.support import ALLOW_REMOTE_WRITE_RECEIVER, MANDATORY

RESOURCE_POLICIES: list[ResourceValidationPolicy] = [
    ResourceValidationPolicy(
        name="container-not-privileged",
        description=(
            "Containers are not privileged: no --privileged, no host-level capabilities, no unconfined "
            "profiles, no host devices."
        ),
        validate=not_privileged,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="container-non-root-user",
        description="Containers run as a non-root uid and gid.",
        validate=non_root_user,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="container-read-only-root",
        description="Containers have a read-only root filesystem.",
        validate=read_only_root,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="container-drop-all-capabilities",
        description="Containers drop every Linux capability (cap_drop ALL).",
        validate=drop_all_capabilities,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="container-no-new-privileges",
        description="Containers set no-new-privileges.",
        validate=no_new_privileges,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="container-memory-limit",
        description="Containers have a memory limit.",
        validate=memory_limit,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="container-no-host-access",
        description=(
            "Containers share no host namespace, never mount the container runtime socket, and mount "
            "host paths read-only."
        ),
        validate=no_host_access,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="container-no-secrets-in-env",
        description=(
            "No secret-looking value in a container's environment (visible in docker inspect): secrets are files."
        ),
        validate=no_secrets_in_env,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="image-pinned",
        description="Images are pinned to a release tag or a digest, never latest or untagged.",
        validate=image_pinned,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ports-bound-to-one-address",
        description=(
            "Published ports bind one host address, never 0.0.0.0 or ::, unless the stack sets allowPublicBind."
        ),
        validate=ports_on_one_address,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ports-only-proxy-publishes",
        description="Only the proxy container publishes ports.",
        validate=only_proxy_publishes,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="network-backend-internal",
        description="The backend network is internal (no route out).",
        validate=backend_network_internal,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="files-secret-modes",
        description="Uploaded private keys, password hashes and files under secrets/ are mode 0600/0400 or stricter.",
        validate=secret_file_modes,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="files-secrets-apart-from-config",
        description=(
            "A config carrier uploads no key, hash or password (they go to the secrets carrier), so its "
            "uploads stay plain and every config change shows in `pulumi preview --diff`."
        ),
        validate=secrets_apart_from_config,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="prometheus-admin-endpoints-off",
        description="The TSDB admin API and the remote-write/OTLP receivers are off unless explicitly allowed.",
        validate=admin_endpoints_off,
        enforcement_level=MANDATORY,
        config_schema=PolicyConfigSchema(
            properties={
                ALLOW_REMOTE_WRITE_RECEIVER: {
                    "type": "boolean",
                    "default": False,
                    "description": "Accept --web.enable-remote-write-receiver / OTLP receiver.",
                }
            },
        ),
    ),
]
STACK_POLICIES: list[StackValidationPolicy] = [
    StackValidationPolicy(
        name="monitoring-web-config-mtls",
        description=(
            "Prometheus and Alertmanager run with a web config requiring TLS >= 1.2 and a verified client certificate."
        ),
        validate=web_config_mtls,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="prometheus-remote-write-secure",
        description="Prometheus remote write goes only to https URLs with credentials read from files.",
        validate=remote_write_secure,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="firewall-guards-published-ports",
        description="A host firewall (the Firewall component's DOCKER-USER rules) guards every published port.",
        validate=firewall_guards_published_ports,
        enforcement_level=MANDATORY,
    ),
]
ALL_POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [*RESOURCE_POLICIES, *STACK_POLICIES]
PACK_NAME = f"{catalog.PROJECT}-guardrails"


def policies_by_name() -> dict[str, ResourceValidationPolicy | StackValidationPolicy]:
    return {policy.name: policy for policy in ALL_POLICIES}
