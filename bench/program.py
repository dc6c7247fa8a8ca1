"""`make bench`: the benchmark's extra resources, registered in the Pulumi program the real `pulumi up` runs.

The bench's `__main__.py` (bench/load.py: `bench_program`) runs the project's program unchanged (the measured
path) and then `register_extras` with a file the bench wrote from the deployed stack's state: the records
bench/stack.py builds (proxy copies with another nginx.conf, the peers, their volumes and carriers, an image)
and the firewall plan for their published ports. Each record becomes the provider resource it is
(`pulumi.CustomResource` with the docker provider's type token and exactly the recorded inputs, in the
provider's own names, as the state holds them; secrets stay secret) through a docker provider of its own for
the same engine; the firewall plan becomes the program's own `Firewall` component. The engine and the
providers create them; nothing here talks to Docker.

Runs inside the language host: imports only what the program itself imports.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi_docker as docker

from components.core import catalog
from components.firewall.component import Firewall, FirewallSettings
from components.firewall.render import FirewallPlan

# The mocks' and `recorded_from_state`'s secret sentinel (testing/mock_stack.py), as the extras file holds it.
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270"
# Created in this order, each group after the one before: volumes and images, the carriers that fill the
# volumes, the firewall rules for the extras' ports, then the services that mount the volumes and publish.
GROUPS = ("first", "carriers", "services")


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG_VALUE


def _plain(value: Any) -> Any:
    if _is_secret(value):
        return _plain(value["value"])
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def program_inputs(value: Any) -> Any:
    """Recorded inputs as program inputs: each secret sentinel becomes a secret Output of its plain value."""
    if _is_secret(value):
        return pulumi.Output.secret(_plain(value["value"]))
    if isinstance(value, dict):
        return {k: program_inputs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [program_inputs(v) for v in value]
    return value


def register_extras(path: str) -> None:
    """Register the extras file's resources (bench/load.py wrote it; see the module docstring)."""
    document = json.loads(Path(path).read_text())
    docker_host = pulumi.Config(catalog.PROJECT).require("dockerHost")
    provider = docker.Provider("bench-docker", host=docker_host)
    earlier: list[pulumi.Resource] = []
    for group in GROUPS:
        if group == "services" and document.get("firewall"):
            plan = FirewallPlan(**document["firewall"])
            earlier.append(Firewall("bench-extra-firewall", FirewallSettings(plan, docker_host, None, False)))
        made: list[pulumi.Resource] = []
        for record in document.get(group, []):
            opts = pulumi.ResourceOptions(provider=provider, depends_on=list(earlier))
            made.append(pulumi.CustomResource(record["type"], record["name"], program_inputs(record["inputs"]), opts))
        earlier += made
