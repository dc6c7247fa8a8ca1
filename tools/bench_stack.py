"""`make bench`: more proxies beside the program's own, as copies of the resources it registers.

The naive proxy (the seed's design) and `--variant` experiments are the program's proxy with
another `nginx.conf`: the same image, hardening, certificates and networks, their own volumes,
config carrier and published ports, and no aliases (nothing resolves the stack's names to them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from components.core import catalog
from testing.mock_stack import unwrap


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
    ours = {proxy_name, f"{proxy_name}-config"}
    volumes: set[str] = set()
    for record in resources:
        if record.type == catalog.CONTAINER_TYPE and record.inputs.get("name") in ours:
            volumes |= {str(v["volumeName"]) for v in record.inputs.get("volumes", []) if v.get("volumeName")}
    copies = []
    for record in resources:
        name = str(record.inputs.get("name"))
        if record.type == catalog.VOLUME_TYPE and name in volumes:
            raw = {**unwrap(record.raw_inputs), "name": f"{name}-{suffix}"}
        elif record.type == catalog.CONTAINER_TYPE and name in ours:
            raw = unwrap(record.raw_inputs)
            raw["name"] = name.replace(proxy_name, f"{proxy_name}-{suffix}", 1)
            raw["volumes"] = [_renamed_volume(volume, suffix) for volume in raw.get("volumes", [])]
            raw["ports"] = [{**port, "external": int(port["external"]) + port_offset} for port in raw.get("ports", [])]
            raw["networksAdvanced"] = [{**network, "aliases": []} for network in raw.get("networksAdvanced", [])]
            raw["uploads"] = [_with_conf(upload, conf) for upload in raw.get("uploads", [])]
        else:
            continue
        copies.append(dataclasses.replace(record, name=f"{record.name}-{suffix}", raw_inputs=raw))
    return copies


def _with_conf(upload: dict[str, Any], conf: str) -> dict[str, Any]:
    return {**upload, "content": conf} if upload["file"] == catalog.PROXY_CONFIG_FILE else upload


def _renamed_volume(volume: dict[str, Any], suffix: str) -> dict[str, Any]:
    return {**volume, "volumeName": f"{volume['volumeName']}-{suffix}"} if volume.get("volumeName") else volume
