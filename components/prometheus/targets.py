"""Scrape plans for the trading system's own services (Instance Manager, Trade Engine).

One scrape job per endpoint, so each can carry its own CA and basic-auth password; the
`job` target label is set to the service's job name, so rules see one job per service.
Passwords go to 0400 files (`password_file`), never into prometheus.yml. The dev demo's targets
(the trading simulator) are scraped the same way: TLS verified against the stack CA under the
simulator's name, basic auth with the password the simulator's component generated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

from components.core import catalog
from components.core.hardening import UploadFile, config_file, secret_file
from components.prometheus.render import STACK_MTLS, ScrapeJob, TlsClient
from components.prometheus.settings import ScrapeTarget

if TYPE_CHECKING:  # the stack layer's whole settings, of which this service takes its slice
    from components.stack.settings import Settings

TARGETS_DIR = f"{catalog.PROMETHEUS.config_dir}/targets"


@dataclass(frozen=True)
class ScrapePlan:
    jobs: list[ScrapeJob]
    uploads: list[UploadFile]


def _target_plan(job: str, index: int, target: ScrapeTarget, demo_password: pulumi.Output[str] | None) -> ScrapePlan:
    job_name = f"{job}-{index}"
    uploads: list[UploadFile] = []
    tls = None
    password: pulumi.Input[str] | None = None if target.password is None else target.password.reveal()
    if target.demo:
        if demo_password is None:
            raise ValueError(f"{job}: the demo target {target.address} needs the trading simulator's password")
        tls = TlsClient(ca_file=STACK_MTLS.ca_file, server_name=catalog.TRADING_SIM.name)
        password = demo_password
    elif target.ca_pem is not None:
        ca_file = f"{TARGETS_DIR}/{job_name}-ca.crt"
        uploads.append(config_file(ca_file, target.ca_pem))
        tls = TlsClient(ca_file=ca_file)
    password_file = None
    if password is not None:
        password_file = f"{catalog.PROMETHEUS_SECRETS_DIR}/{job_name}-password"
        uploads.append(secret_file(password_file, password))
    scrape = ScrapeJob(
        name=job_name,
        targets=[target.address],
        scheme=target.scheme,
        tls=tls,
        username=target.username,
        password_file=password_file,
        labels={**target.labels, "job": job},
    )
    return ScrapePlan([scrape], uploads)


def trading_scrape_plan(
    settings: Settings, demo_passwords: Mapping[str, pulumi.Output[str]] | None = None
) -> ScrapePlan:
    """The trading jobs' scrape configs and files; `demo_passwords`: the simulator's, by job."""
    plan = ScrapePlan([], [])
    for job, targets in (
        (catalog.JOB_INSTANCE_MANAGER, settings.instance_manager_targets),
        (catalog.JOB_TRADE_ENGINE, settings.trade_engine_targets),
    ):
        for index, target in enumerate(targets, start=1):
            part = _target_plan(job, index, target, (demo_passwords or {}).get(job))
            plan.jobs.extend(part.jobs)
            plan.uploads.extend(part.uploads)
    return plan
