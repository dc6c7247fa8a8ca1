"""Prometheus and Alertmanager: mTLS web config, secure remote write, admin endpoints off."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pulumi_policy import PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from components.core import catalog
from components.core.catalog import CONTAINER_TYPE
from policy.containers import IMAGE_ID
from policy.files import URL_WITH_PASSWORD
from policy.support import (
    ALLOW_REMOTE_WRITE_RECEIVER,
    ENABLE_ADMIN_API,
    Upload,
    as_list,
    command_line,
    container_policy,
    describe,
    flag_enabled,
    flag_value,
    known,
    pack_flag,
    runs,
    service_of,
    stack_flag,
    uploads_of,
)

TLS_MIN_VERSIONS = ("TLS12", "TLS13")
REQUIRED_CLIENT_AUTH = "RequireAndVerifyClientCert"
ADMIN_API_FLAG = "--web.enable-admin-api"
RECEIVER_FLAGS = ("--web.enable-remote-write-receiver", "--web.enable-otlp-receiver")
RECEIVER_FEATURES = ("remote-write-receiver", "otlp-write-receiver")
# Their files reach them through a *config carrier* (components/core/hardening.py): a never-started
# container uploads them into a config volume that the service mounts read-only. A resource
# policy sees one resource, so the checks that read a file are stack policies that follow a
# path through the service's volume mounts to the upload that fills it.
MONITORING_WEB_CONFIGS = {
    catalog.PROMETHEUS.name: catalog.PROMETHEUS_WEB_CONFIG_FILE,
    catalog.ALERTMANAGER.name: catalog.ALERTMANAGER_WEB_CONFIG_FILE,
}


def monitoring_service(props: Mapping[str, Any]) -> str | None:
    """ "prometheus" / "alertmanager" for those containers (by label, else by a visible image name)."""
    service = service_of(props)
    if service in MONITORING_WEB_CONFIGS:
        return service
    ok, image = known(props, "image")
    if ok and isinstance(image, str) and not IMAGE_ID.match(image):
        repository = image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
        if repository in MONITORING_WEB_CONFIGS:
            return repository
    return None


@dataclass(frozen=True)
class FileSource:
    """Where a container path's content comes from: an upload (here or in a carrier), or nowhere visible."""

    upload: Upload | None
    # for messages: "its own upload", 'volume promshield-dev-prometheus-config (filled by "prometheus-container-
    # config")', ...
    where: str
    problem: str | None = None  # why no policy can read it


def resolve_file(container: PolicyResource, path: str, containers: Sequence[PolicyResource]) -> FileSource:
    """Find the upload that puts `path` into `container`: its own uploads, or another container's
    upload into a named volume that `container` mounts over `path`."""
    own = {u.path: u for u in uploads_of(container.props)}
    if path in own:
        return FileSource(own[path], "its own upload")
    mounts = sorted(
        ((str(v.get("containerPath") or ""), v) for v in as_list(container.props.get("volumes"))),
        key=lambda item: len(item[0]),
        reverse=True,  # the deepest mount over the path wins, as in the container
    )
    for mount_path, volume in mounts:
        base = mount_path.rstrip("/")
        if not base or not path.startswith(base + "/"):
            continue
        relative = path[len(base) + 1 :]
        if volume.get("hostPath"):
            return FileSource(
                None, f"host path {volume.get('hostPath')}", "it comes from the host, which no policy can read"
            )
        volume_name = volume.get("volumeName")
        for other in containers:
            if other.urn == container.urn:
                continue
            for other_volume in as_list(other.props.get("volumes")):
                if other_volume.get("volumeName") != volume_name or not other_volume.get("containerPath"):
                    continue
                candidate = f"{str(other_volume.get('containerPath')).rstrip('/')}/{relative}"
                for upload in uploads_of(other.props):
                    if upload.path == candidate:
                        return FileSource(upload, f'volume {volume_name} (filled by "{other.name}")')
        return FileSource(None, f"volume {volume_name}", "no container of the stack uploads it into that volume")
    return FileSource(None, "the image", "it is not uploaded, so it is whatever the image holds")


def read_yaml(source: FileSource) -> tuple[Any, str | None]:
    """(parsed, None) or (None, why it cannot be checked). Raises `UnknownValueError` while the
    content is unknown (a fresh preview)."""
    if source.upload is None:
        return None, source.problem
    text = source.upload.text()
    if text is None:
        return None, "it is uploaded from a local file, which no policy can read"
    try:
        return yaml.safe_load(text), None
    except yaml.YAMLError as error:
        return None, f"it is not valid YAML ({error.__class__.__name__})"


def monitoring_containers(resources: Sequence[PolicyResource]) -> Iterator[tuple[PolicyResource, str]]:
    """Running Prometheus and Alertmanager containers with their service name."""
    for resource in resources:
        if resource.resource_type != CONTAINER_TYPE:
            continue
        service = monitoring_service(resource.props)
        if service is not None and runs(resource.props):
            yield resource, service


def each_container(resources: Sequence[PolicyResource], check: Callable[[PolicyResource, str], None]) -> None:
    """Run `check` for every monitoring container; a value unknown during preview defers only
    that container's check, and is re-raised at the end so the SDK reports the deferral."""
    deferred: UnknownValueError | None = None
    for resource, service in monitoring_containers(resources):
        try:
            check(resource, service)
        except UnknownValueError as error:
            deferred = deferred or error
    if deferred is not None:
        raise deferred


def web_config_mtls(args: StackValidationArgs, report: ReportViolation) -> None:
    """Prometheus and Alertmanager run with --web.config.file, whose file requires TLS >= 1.2 and a verified client
    certificate.
    """
    containers = [r for r in args.resources if r.resource_type == CONTAINER_TYPE]

    def check(resource: PolicyResource, service: str) -> None:
        who = f'container "{resource.name}" ({service})'
        path = flag_value(command_line(resource.props), "--web.config.file")
        if not path:
            report(
                f"{who} runs without --web.config.file: it serves plain HTTP to anyone on its network. "
                f"Fix: upload a web config (TLS >= 1.2, client_auth_type {REQUIRED_CLIENT_AUTH}) and pass "
                f"--web.config.file={MONITORING_WEB_CONFIGS[service]}.",
                resource.urn,
            )
            return
        source = resolve_file(resource, path, containers)
        config, problem = read_yaml(source)
        if problem is not None:
            report(
                f"{who}'s web config {path} cannot be verified: {problem} ({source.where}). Fix: upload it (through "
                "the service's config carrier) with `content`.",
                resource.urn,
            )
            return
        tls = config.get("tls_server_config") if isinstance(config, dict) else None
        where = f"{who}'s web config {path} ({source.where})"
        if not isinstance(tls, dict):
            report(
                f"{where} has no tls_server_config: {service} serves plain HTTP. Fix: add tls_server_config with "
                "cert_file, key_file and client_ca_file.",
                resource.urn,
            )
            return
        if str(tls.get("min_version", "")) not in TLS_MIN_VERSIONS:
            report(
                f"{where} allows TLS below 1.2 (min_version {tls.get('min_version', 'unset: TLS10')!r}). "
                "Fix: min_version: TLS12.",
                resource.urn,
            )
        if tls.get("client_auth_type") != REQUIRED_CLIENT_AUTH:
            report(
                f"{where} has client_auth_type {tls.get('client_auth_type', 'unset: NoClientCert')!r}, so anyone on "
                "the network can go around the proxy. "
                f"Fix: client_auth_type: {REQUIRED_CLIENT_AUTH} with client_ca_file set to the stack CA.",
                resource.urn,
            )
        missing = [key for key in ("cert_file", "key_file", "client_ca_file") if not tls.get(key)]
        if missing:
            report(f"{where} sets no {', '.join(missing)}. Fix: point them at the uploaded TLS files.", resource.urn)

    each_container(args.resources, check)


def remote_write_secure(args: StackValidationArgs, report: ReportViolation) -> None:
    """Prometheus remote_write only to https URLs, with credentials read from a file, certificates verified."""
    containers = [r for r in args.resources if r.resource_type == CONTAINER_TYPE]

    def check(resource: PolicyResource, service: str) -> None:
        if service != catalog.PROMETHEUS.name:
            return
        path = flag_value(command_line(resource.props), "--config.file") or catalog.PROMETHEUS_CONFIG_FILE
        source = resolve_file(resource, path, containers)
        config, problem = read_yaml(source)
        if problem is not None:
            report(
                f'container "{resource.name}" (prometheus): its config {path} cannot be checked for remote_write: '
                f"{problem} ({source.where}). Fix: upload it with `content`.",
                resource.urn,
            )
            return
        if not isinstance(config, dict):
            return
        for index, remote in enumerate(as_list(config.get("remote_write"))):
            if isinstance(remote, dict):
                for problem_text in remote_write_problems(remote):
                    report(
                        f'container "{resource.name}" (prometheus): {path} remote_write[{index}] '
                        f"({remote.get('url') or 'no url'}) {problem_text}",
                        resource.urn,
                    )

    each_container(args.resources, check)


def remote_write_problems(remote: Mapping[str, Any]) -> list[str]:
    """What is wrong with one remote_write entry (each with its fix)."""
    problems: list[str] = []
    url = str(remote.get("url", ""))
    if not url.lower().startswith("https://"):
        problems.append("sends samples unencrypted. Fix: use an https:// URL.")
    if URL_WITH_PASSWORD.search(url):
        problems.append("has a password in its URL. Fix: basic_auth with password_file.")
    basic = remote.get("basic_auth")
    authorization = remote.get("authorization")
    if isinstance(basic, dict):
        if basic.get("password"):
            problems.append(
                "has its basic_auth password inline in the config. Fix: upload it as a 0400 file and use password_file."
            )
        elif not basic.get("username") or not basic.get("password_file"):
            problems.append("has incomplete basic_auth. Fix: set username and password_file.")
    elif isinstance(authorization, dict) and authorization.get("credentials"):
        problems.append(
            "has its authorization credentials inline. Fix: upload them as a 0400 file and use credentials_file."
        )
    tls = remote.get("tls_config")
    client_certificate = isinstance(tls, dict) and bool(tls.get("cert_file")) and bool(tls.get("key_file"))
    authorized = isinstance(authorization, dict) and bool(
        authorization.get("credentials") or authorization.get("credentials_file")
    )
    if not isinstance(basic, dict) and not authorized and not client_certificate:
        problems.append(
            "sends samples without credentials. Fix: basic_auth with username and password_file, or a client "
            "certificate (tls_config cert_file and key_file)."
        )
    if isinstance(tls, dict) and tls.get("insecure_skip_verify") is True:
        problems.append(
            "skips certificate verification. Fix: remove insecure_skip_verify (set ca_file for a private CA)."
        )
    return problems


@container_policy
def admin_endpoints_off(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """The TSDB admin API only when the stack sets enableAdminApi; the remote-write/OTLP receivers only when the pack's
    config allows them.
    """
    service = monitoring_service(args.props)
    if service is None:
        return
    who = describe(args)
    argv = command_line(args.props)
    if flag_enabled(argv, ADMIN_API_FLAG) and not stack_flag(ENABLE_ADMIN_API):
        report(
            f"{who} runs with {ADMIN_API_FLAG} (delete series, snapshots) but the stack does not set "
            f"promshield:{ENABLE_ADMIN_API}. "
            f"Fix: remove the flag, or `pulumi config set {ENABLE_ADMIN_API} true` to accept it (admin role "
            "only, through the proxy).",
            None,
        )
    if pack_flag(args, ALLOW_REMOTE_WRITE_RECEIVER):
        return
    receivers = [flag for flag in RECEIVER_FLAGS if flag_enabled(argv, flag)]
    features = {
        feature
        for token in argv
        if token.startswith("--enable-feature=")
        for feature in token.split("=", 1)[1].split(",")
    }
    receivers += [f"--enable-feature={feature}" for feature in RECEIVER_FEATURES if feature in features]
    if receivers:
        report(
            f"{who} accepts pushed samples ({', '.join(receivers)}): anyone who reaches it can write series. "
            f"Fix: remove the flag, or allow it in the policy pack config ({ALLOW_REMOTE_WRITE_RECEIVER}: true).",
            None,
        )
