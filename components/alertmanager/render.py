"""Pure rendering of Alertmanager's files: alertmanager.yml and its command line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from components.core import catalog
from components.core.settings import NetworkSettings, Receiver, Settings

WATCHDOG_RECEIVER = "watchdog-null"
HEALTHCHECK_CONFIG_FILE = f"{catalog.ALERTMANAGER.config_dir}/healthcheck.yml"


@dataclass(frozen=True)
class AlertmanagerSettings:
    """The part of the stack's settings Alertmanager uses."""

    stack: str
    image: str
    receivers: tuple[Receiver, ...]
    egress: bool  # joins the edge network so notifications can leave the host
    external_url: str
    networks: NetworkSettings

    @classmethod
    def of(cls, settings: Settings) -> AlertmanagerSettings:
        return cls(
            stack=settings.stack,
            image=settings.images["alertmanager"],
            receivers=settings.receivers,
            egress=settings.alertmanager_egress,
            external_url=settings.external_url(settings.alertmanager_port),
            networks=settings.networks,
        )


def render_alertmanager_yml(settings: AlertmanagerSettings) -> str:
    receivers: list[dict[str, Any]] = [
        {"name": r.name, "webhook_configs": [{"url": r.webhook_url, "send_resolved": r.send_resolved}]}
        for r in settings.receivers
    ]
    # The always-firing Watchdog proves the alert path works; it must not page anyone.
    receivers.append({"name": WATCHDOG_RECEIVER})
    config: dict[str, Any] = {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": settings.receivers[0].name,
            "group_by": ["alertname", "job"],
            "group_wait": "10s",
            "group_interval": "1m",
            "repeat_interval": "4h",
            "routes": [{"receiver": WATCHDOG_RECEIVER, "matchers": ['alertname="Watchdog"']}],
        },
        "receivers": receivers,
    }
    return yaml.safe_dump(config, sort_keys=False)


def alertmanager_command(settings: AlertmanagerSettings) -> list[str]:
    return [
        f"--config.file={catalog.ALERTMANAGER_CONFIG_FILE}",
        f"--web.config.file={catalog.ALERTMANAGER_WEB_CONFIG_FILE}",
        f"--web.listen-address=:{catalog.ALERTMANAGER.port}",
        f"--web.external-url={settings.external_url}",
        f"--storage.path={catalog.ALERTMANAGER.data_dir}",
        "--cluster.listen-address=",  # single node: no gossip port
        "--log.format=json",
    ]
