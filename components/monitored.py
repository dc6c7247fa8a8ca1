"""The watched systems, each read with the least privilege it needs: DuckDB (read-only
exporter), Redis (ACL user + exporter), the Instance Manager and the Trade Engine (targets)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.core import pki as certs
from components.core.hardening import UploadFile
from components.core.network import Networks
from components.core.settings import Settings
from components.duckdb.component import DuckDbAccess, DuckDbAccessArgs
from components.duckdb.component import scrape_job as duckdb_scrape_job
from components.prometheus.render import ScrapeJob
from components.prometheus.targets import trading_scrape_plan
from components.redis.component import RedisAccess, RedisAccessArgs
from components.redis.component import scrape_jobs as redis_scrape_jobs


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
    opts: pulumi.ResourceOptions,
    shared_redis: RedisAccess | None = None,
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
                networks.edge_name,
                pki.ca_cert_pem,
                server,
                shared_from=shared_redis,
            ),
            opts=opts,
        )
        monitored.jobs += redis_scrape_jobs(settings.redis_instances)
        monitored.exporters.append(redis.container)
        monitored.redis = redis
    trading = trading_scrape_plan(settings)
    monitored.jobs += trading.jobs
    monitored.uploads += trading.uploads
    return monitored
