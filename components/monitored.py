"""The watched systems, each read with the least privilege it needs: DuckDB (read-only
exporter), Redis (ACL user + exporter), the Instance Manager and the Trade Engine (targets; in
the dev demo, the trading simulator)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.core.hardening import UploadFile
from components.core.network import Networks
from components.duckdb.component import DuckDbAccess, DuckDbAccessArgs
from components.duckdb.component import scrape_job as duckdb_scrape_job
from components.prometheus.render import ScrapeJob
from components.prometheus.targets import trading_scrape_plan
from components.redis.component import RedisAccess, RedisAccessArgs
from components.redis.component import scrape_jobs as redis_scrape_jobs
from components.stack import certificates as certs
from components.stack.settings import Settings
from components.trading_sim.component import TradingSim, TradingSimArgs


@dataclass
class MonitoredServices:
    """What Prometheus needs to scrape them: jobs, files for its container, and what to wait for."""

    jobs: list[ScrapeJob] = field(default_factory=list)
    uploads: list[UploadFile] = field(default_factory=list)
    exporters: list[pulumi.Resource] = field(default_factory=list)
    redis: RedisAccess | None = None


def monitored_services(
    settings: Settings,
    networks: Networks,
    pki: certs.Pki,
    *,
    opts: pulumi.ResourceOptions,
    shared_redis: RedisAccess | None = None,
    egress: tuple[pulumi.Input[str], str] | None = None,  # the Redis exporter's, when a Redis is outside the host
) -> MonitoredServices:
    """The exporters of one host (`settings` as that host sees them). In a multi-host stack every host
    runs them, so each Prometheus replica scrapes the same targets through its own exporters; the Redis
    exporter users are the first host's (`shared_redis`)."""
    monitored = MonitoredServices()
    host = settings.host
    resource = host.resource if host is not None else str
    if settings.duckdb is not None:
        server = certs.host_certificate(pki, settings, certs.DUCKDB_EXPORTER_SERVER)
        duckdb = DuckDbAccess(
            resource("duckdb"),
            DuckDbAccessArgs(
                settings.stack,
                settings.duckdb,
                settings.images["duckdb_exporter_base"],
                networks.backend_name,
                pki.ca_cert_pem,
                server,
            ),
            opts=opts,
        )
        monitored.jobs.append(duckdb_scrape_job())
        monitored.exporters.append(duckdb.container)
    if settings.redis_instances:
        server = certs.host_certificate(pki, settings, certs.REDIS_EXPORTER_SERVER)
        redis = RedisAccess(
            resource("redis"),
            RedisAccessArgs(
                settings.stack,
                settings.redis_instances,
                settings.images,
                networks.backend_name,
                pki.ca_cert_pem,
                server,
                shared_from=shared_redis,
                egress=egress,
            ),
            opts=opts,
        )
        monitored.jobs += redis_scrape_jobs(settings.redis_instances)
        monitored.exporters.append(redis.container)
        monitored.redis = redis
    demo_passwords = None
    if settings.runs_trading_sim:
        sim = TradingSim(
            resource("trading-sim"),
            TradingSimArgs(
                settings.stack,
                settings.images["trading_sim"],
                networks.backend_name,
                pki.ca_cert_pem,
                certs.host_certificate(pki, settings, certs.TRADING_SIM_SERVER),
            ),
            opts=opts,
        )
        demo_passwords = sim.passwords
        monitored.exporters.append(sim.container)
    trading = trading_scrape_plan(settings, demo_passwords)
    monitored.jobs += trading.jobs
    monitored.uploads += trading.uploads
    return monitored
