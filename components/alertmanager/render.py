"""Pure rendering of Alertmanager's files: alertmanager.yml and its command line."""

from __future__ import annotations

from typing import Any

import yaml

from components.core import catalog
from components.core.settings import Settings

WATCHDOG_RECEIVER = "watchdog-null"
HEALTHCHECK_CONFIG_FILE = f"{catalog.ALERTMANAGER.config_dir}/healthcheck.yml"


def render_alertmanager_yml(settings: Settings) -> str:
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


def alertmanager_command(settings: Settings) -> list[str]:
    return [
        f"--config.file={catalog.ALERTMANAGER_CONFIG_FILE}",
        f"--web.config.file={catalog.ALERTMANAGER_WEB_CONFIG_FILE}",
        f"--web.listen-address=:{catalog.ALERTMANAGER.port}",
        f"--web.external-url={settings.external_url(settings.alertmanager_port)}",
        f"--storage.path={catalog.ALERTMANAGER.data_dir}",
        "--cluster.listen-address=",  # single node: no gossip port
        "--log.format=json",
    ]
