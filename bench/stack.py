"""`make bench`: more proxies beside the program's own, as copies of the resources it registers.

The naive proxy (the seed's design) and `--variant` experiments are the program's proxy with
another `nginx.conf`: the same image, hardening, certificates and networks, their own volumes,
config carrier and published ports, and no aliases (nothing resolves the stack's names to them).
The records are built from the deployed stack's state (`recorded_from_state`: real certificates and
password hashes) and deployed by the real `pulumi up` (`extras_document`, bench/program.py).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import Any

from bench.lib import CADDY, NATIVE, NO_AUTH
from bench.peers import PEER_PORT_OFFSETS, caddyfile, htpasswd_hash, native_web_config, no_auth_nginx_conf
from components.core import catalog
from components.firewall.render import FirewallPlan
from harness.standins import CADDY_REFERENCE
from testing.mock_stack import container_kind, contains_secret, secret, unwrap


def with_proxy_conf(resources: Sequence[Any], proxy_name: str, conf: str) -> list[Any]:
    """The resources with the proxy's config carrier uploading `conf` as its nginx.conf."""
    carrier = f"{proxy_name}-config"
    changed = []
    for record in resources:
        if record.type != catalog.CONTAINER_TYPE or record.inputs.get("name") != carrier:
            changed.append(record)
            continue
        raw = unwrap(record.raw_inputs)
        raw["uploads"] = [_with_conf(upload, conf) for upload in raw["uploads"]]
        changed.append(dataclasses.replace(record, raw_inputs=raw))
    return changed


def proxy_copy(resources: Sequence[Any], proxy_name: str, suffix: str, port_offset: int, conf: str) -> list[Any]:
    """A second proxy named `<proxy>-<suffix>` running `conf`, published at +`port_offset`."""

    def edit(_record_name: str, raw: dict[str, Any]) -> None:
        raw["ports"] = [{**port, "external": int(port["external"]) + port_offset} for port in raw.get("ports", [])]
        raw["networksAdvanced"] = [{**network, "aliases": []} for network in raw.get("networksAdvanced", [])]
        raw["uploads"] = [_with_conf(upload, conf) for upload in raw.get("uploads", [])]

    return _service_copy(resources, proxy_name, suffix, edit)


def _with_conf(upload: dict[str, Any], conf: str) -> dict[str, Any]:
    return {**upload, "content": conf} if upload["file"] == catalog.PROXY_CONFIG_FILE else upload


def _renamed_volume(volume: dict[str, Any], suffix: str) -> dict[str, Any]:
    return {**volume, "volumeName": f"{volume['volumeName']}-{suffix}"} if volume.get("volumeName") else volume


def _service_copy(
    resources: Sequence[Any], name: str, suffix: str, edit: Callable[[str, dict[str, Any]], None]
) -> list[Any]:
    """Copies of container `name`, its carriers and their volumes, each named `<...>-<suffix>`;
    `edit(container name, raw inputs)` changes each copied container's inputs in place."""
    ours = {name, *(f"{name}-{kind}" for kind in catalog.CARRIER_KINDS)}
    volumes: set[str] = set()
    for record in resources:
        if record.type == catalog.CONTAINER_TYPE and record.inputs.get("name") in ours:
            volumes |= {str(v["volumeName"]) for v in record.inputs.get("volumes", []) if v.get("volumeName")}
    copies = []
    for record in resources:
        record_name = str(record.inputs.get("name"))
        if record.type == catalog.VOLUME_TYPE and record_name in volumes:
            raw = {**unwrap(record.raw_inputs), "name": f"{record_name}-{suffix}"}
        elif record.type == catalog.CONTAINER_TYPE and record_name in ours:
            raw = unwrap(record.raw_inputs)
            raw["name"] = record_name.replace(name, f"{name}-{suffix}", 1)
            raw["volumes"] = [_renamed_volume(volume, suffix) for volume in raw.get("volumes", [])]
            edit(record_name, raw)
        else:
            continue
        copies.append(dataclasses.replace(record, name=f"{record.name}-{suffix}", raw_inputs=_secret_as(record, raw)))
    return copies


def _secret_as(record: Any, raw: dict[str, Any]) -> dict[str, Any]:
    """`raw` (edited plain inputs) with each input that held a secret in `record` secret again, whole (the
    state keeps a list with one secret upload secret as a whole, too)."""
    held = {key for key, value in record.raw_inputs.items() if contains_secret(value)}
    return {key: secret(value) if key in held else value for key, value in raw.items()}


def container_copy(
    resources: Sequence[Any],
    name: str,
    suffix: str,
    *,
    uploads: dict[str, str],
    ports: list[dict[str, Any]],
    networks: Sequence[str] | None,
    image: str | None = None,
    command: Sequence[str] | None = None,
) -> list[Any]:
    """A copy of container `name` (and its carriers, volumes) named `<name>-<suffix>`: the config
    carrier's uploads replaced by `uploads` (path -> text; others kept), published on `ports`, on
    `networks` without aliases or fixed addresses, no healthcheck (nothing waits for it)."""

    def edit(record_name: str, raw: dict[str, Any]) -> None:
        raw["uploads"] = [
            {**u, "content": uploads[u["file"]]} if u["file"] in uploads else u for u in raw.get("uploads", [])
        ]
        present = {u["file"] for u in raw["uploads"]}
        if raw["uploads"] and record_name == f"{name}-{catalog.KIND_CONFIG}":  # new files: as its first upload
            raw["uploads"] += [
                {**raw["uploads"][0], "file": f, "content": c} for f, c in uploads.items() if f not in present
            ]
        if record_name == name:
            raw["ports"] = ports
            attached = networks or [str(n["name"]) for n in raw.get("networksAdvanced", [])]
            raw["networksAdvanced"] = [{"name": network, "aliases": []} for network in attached]
            raw.pop("healthcheck", None)
            if image is not None:
                raw["image"] = image
            if command is not None:
                raw["command"] = list(command)

    return _service_copy(resources, name, suffix, edit)


def remote_image(resources: Sequence[Any], reference: str) -> Any:
    """A RemoteImage record for `reference` (the harness loads its stand-in before deploying; the provider finds
    it in the engine and pulls nothing)."""
    template = next(r for r in resources if r.type == catalog.REMOTE_IMAGE_TYPE)
    raw = {**unwrap(template.raw_inputs), "name": reference}
    return dataclasses.replace(template, name="bench-image-" + re.sub(r"[/:]", "-", reference), raw_inputs=raw)


def peer_records(stack: Any, paths: Sequence[str], host: str, user: str) -> tuple[list[Any], dict[str, dict[str, Any]]]:
    """The resources of the peers among `paths` (bench/peers.py), and per peer: its container,
    published port, URL host (the name its certificate holds) and the containers its CPU is read from."""

    proxy = catalog.container_name("bench", catalog.PROXY)
    prometheus = catalog.container_name("bench", catalog.PROMETHEUS)
    edge = catalog.resource_name("bench", catalog.EDGE_NETWORK)
    backend = catalog.resource_name("bench", catalog.BACKEND_NETWORK)
    proxy_files = stack.container_files(proxy)
    digest = htpasswd_hash(str(unwrap(proxy_files[catalog.PROXY_HTPASSWD_FILE]["content"])), user)
    port = catalog.DEFAULT_PROMETHEUS_PUBLISHED_PORT
    records: list[Any] = []
    peers: dict[str, dict[str, Any]] = {}
    resources = list(stack.resources)
    if NO_AUTH in paths:
        conf = no_auth_nginx_conf(str(proxy_files[catalog.PROXY_CONFIG_FILE]["content"]))
        records += proxy_copy(resources, proxy, "noauth", PEER_PORT_OFFSETS[NO_AUTH], conf)
        peers[NO_AUTH] = {"container": f"{proxy}-noauth", "port": port + PEER_PORT_OFFSETS[NO_AUTH], "name": host,
                          "cpu": {"proxy": f"{proxy}-noauth", "prometheus": prometheus}}  # fmt: skip
    if CADDY in paths:
        published = port + PEER_PORT_OFFSETS[CADDY]
        listen = catalog.PROXY_PROMETHEUS_PORT
        tls_dir = catalog.PROXY.tls_dir
        config_dir = tls_dir.rsplit("/", 1)[0]
        text = caddyfile(
            user=user, bcrypt_hash=digest, upstream=f"{catalog.PROMETHEUS.name}:{catalog.PROMETHEUS.port}",
            server_name=catalog.PROMETHEUS.name, tls_dir=tls_dir, secrets_dir=catalog.PROXY.secrets_dir,
            listen_port=listen,
        )  # fmt: skip
        records.append(remote_image(resources, CADDY_REFERENCE))
        records += container_copy(
            resources, proxy, "caddy",
            uploads={f"{config_dir}/Caddyfile": text},
            ports=[{"internal": listen, "external": published, "ip": host, "protocol": "tcp"}],
            networks=None, image=CADDY_REFERENCE,
            command=["run", "--config", f"{config_dir}/Caddyfile", "--adapter", "caddyfile"],
        )  # fmt: skip
        peers[CADDY] = {"container": f"{proxy}-caddy", "port": published, "name": host,
                        "cpu": {"proxy": f"{proxy}-caddy", "prometheus": prometheus}}  # fmt: skip
    if NATIVE in paths:
        published = port + PEER_PORT_OFFSETS[NATIVE]
        files = stack.container_files(prometheus)
        web = next(f for f in files if f.endswith("/web.yml"))
        records += container_copy(
            resources, prometheus, "native",
            uploads={web: native_web_config(str(unwrap(files[web]["content"])), user, digest)},
            ports=[{"internal": catalog.PROMETHEUS.port, "external": published, "ip": host, "protocol": "tcp"}],
            networks=[edge, backend],
        )  # fmt: skip
        peers[NATIVE] = {"container": f"{prometheus}-native", "port": published, "name": catalog.PROMETHEUS.name,
                         "cpu": {"prometheus": f"{prometheus}-native"}}  # fmt: skip
    return records, peers


def extras_document(records: Sequence[Any], firewall: FirewallPlan | None) -> dict[str, Any]:
    """What bench/program.py registers: `records` (the copies and peers above) in creation order (volumes and
    images, then the carriers that fill the volumes, then the services), each with its type, Pulumi name and
    inputs (secrets as the sentinel), and the firewall plan for their published ports."""
    groups: dict[str, list[dict[str, Any]]] = {"first": [], "carriers": [], "services": []}
    for record in records:
        if record.type == catalog.CONTAINER_TYPE:
            group = "carriers" if container_kind(record) in catalog.CARRIER_KINDS else "services"
        elif record.type in (catalog.VOLUME_TYPE, catalog.REMOTE_IMAGE_TYPE):
            group = "first"
        else:
            raise ValueError(f"the bench deploys no {record.type} of its own ({record.name})")
        groups[group].append({"type": record.type, "name": record.name, "inputs": record.raw_inputs})
    plan = None
    if firewall is not None:  # what an extra proxy's ports need: who may reach them (FirewallPlan's first fields)
        plan = {
            "chain": firewall.chain,
            "bind_address": firewall.bind_address,
            "ports": list(firewall.ports),
            "trusted_cidrs": list(firewall.trusted_cidrs),
        }
    return {**groups, "firewall": plan}
