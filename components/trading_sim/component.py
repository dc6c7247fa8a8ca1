"""The dev demo's trading simulator: the Instance Manager and Trade Engine targets of a fresh machine.

One hardened container on the internal backend network (non-root, read-only root, no
capabilities, no network route out) serves both services' metrics over TLS with the stack's
certificate and basic auth, exactly as Prometheus scrapes the real ones. Each endpoint has its
own generated password (a Pulumi secret): Prometheus gets it as a 0400 `password_file`, the
simulator only its SHA-256, also as a 0400 file (both through their secrets carriers, so the
config carriers' uploads, the simulator's code among them, stay plain); neither is ever in a
command line, an environment variable or a label. Scenarios (docs/getting-started.md, "The dev demo")
are switched through a control port bound to the container's loopback, which only `docker exec` reaches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_random as random

from components.core import catalog
from components.core.hardening import (
    ContainerPlan,
    Healthcheck,
    NetworkAttachment,
    UploadFile,
    config_file,
    hardened_container,
    secret_file,
)
from components.core.images import pulled_image
from components.core.pki import Certificate, tls_files
from components.trading_sim.render import (
    AUTH_FILE,
    CONFIG_FILE,
    SCRIPT_FILE,
    render_auth_file,
    render_config,
    simulator_command,
    simulator_source,
)

SERVICE = catalog.TRADING_SIM
MEMORY_MB = 64
PIDS_LIMIT = 32  # a thread per open connection (Prometheus keeps one per endpoint) and the servers


@dataclass(frozen=True)
class TradingSimArgs:
    stack: str
    image: str  # settings' images.trading_sim
    backend_network: pulumi.Input[str]
    ca_cert_pem: pulumi.Input[str]
    server: Certificate  # its server certificate from the stack PKI


def sim_files(args: TradingSimArgs, passwords: Mapping[str, pulumi.Output[str]]) -> list[UploadFile]:
    jobs = sorted(passwords)
    auth = pulumi.Output.all(*(passwords[job] for job in jobs)).apply(
        lambda values: render_auth_file(dict(zip(jobs, values, strict=True)))
    )
    return [
        config_file(SCRIPT_FILE, simulator_source()),
        config_file(CONFIG_FILE, render_config()),
        secret_file(AUTH_FILE, auth),
        *tls_files(SERVICE, args.ca_cert_pem, args.server),
    ]


class TradingSim(pulumi.ComponentResource):
    container: pulumi.CustomResource
    passwords: dict[str, pulumi.Output[str]]  # by job (instance-manager, trade-engine); secret
    files: list[UploadFile]

    def __init__(self, name: str, args: TradingSimArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(catalog.TRADING_SIM_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.passwords = {
            job: pulumi.Output.secret(  # type: ignore[arg-type]
                random.RandomPassword(f"{name}-{job}-password", length=32, special=False, opts=child).result
            )
            for job in catalog.TRADING_SIM_PORTS
        }
        self.files = sim_files(args, self.passwords)
        plan = ContainerPlan(
            service=SERVICE,
            image=pulled_image(f"{name}-image", args.image, child),
            command=simulator_command("serve"),
            networks=[NetworkAttachment(args.backend_network, [SERVICE.name])],
            healthcheck=Healthcheck(simulator_command("check")),
            uploads=self.files,
            memory_mb=MEMORY_MB,
            pids_limit=PIDS_LIMIT,
            stack=args.stack,
        )
        self.container = hardened_container(
            f"{name}-container", catalog.container_name(args.stack, SERVICE), plan, pulumi.ResourceOptions(parent=self)
        )
        self.register_outputs({"container_name": self.container.name})
