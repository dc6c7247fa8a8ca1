"""Pure rendering of Alertmanager's files: alertmanager.yml (receivers, routes, inhibitions), its command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from components.alertmanager.settings import DEFAULT_SILENCE_LIMITS, AlertRouting, Receiver, Route
from components.core import catalog
from components.core.settings import NetworkSettings
from components.prometheus.render import host_port, render_web_config
from components.prometheus.rules.inhibitions import inhibit_rules
from components.prometheus.rules.thresholds import AlertThresholds

if TYPE_CHECKING:  # the stack layer's whole settings, of which this service takes its slice
    from components.stack.settings import Settings

WATCHDOG_RECEIVER = "watchdog-null"
HEALTHCHECK_CONFIG_FILE = f"{catalog.ALERTMANAGER.config_dir}/healthcheck.yml"
TEMPLATES_DIR = f"{catalog.ALERTMANAGER.config_dir}/templates"
TEMPLATE_FILE = f"{TEMPLATES_DIR}/promshield.tmpl"
RECEIVER_CA_DIR = f"{catalog.ALERTMANAGER.config_dir}/receivers"
TEMPLATE_SOURCE = Path(__file__).parent / "templates" / "promshield.tmpl"
TITLE = '{{ template "promshield.title" . }}'
TEXT = '{{ template "promshield.text" . }}'


@dataclass(frozen=True)
class ClusterSettings:
    """A multi-host stack's gossip: where this Alertmanager is reached and where its peers are (address:port)."""

    advertise: str
    peers: tuple[str, ...]
    bind_address: str  # the host address the gossip port is published on


@dataclass(frozen=True)
class AlertmanagerSettings:
    """The part of the stack's settings Alertmanager uses."""

    stack: str
    image: str
    receivers: tuple[Receiver, ...]
    external_url: str
    networks: NetworkSettings
    routing: AlertRouting = field(default_factory=AlertRouting)
    thresholds: AlertThresholds = field(default_factory=AlertThresholds)
    cluster: ClusterSettings | None = None  # None: a single node, no gossip port
    # Silences and the notification log reach disk only at this interval's snapshot (and a clean stop).
    snapshot_interval: str = DEFAULT_SILENCE_LIMITS.snapshot_interval

    @classmethod
    def of(cls, settings: Settings) -> AlertmanagerSettings:
        cluster = None
        if settings.multi_host:
            port = catalog.ALERTMANAGER_CLUSTER_PORT
            cluster = ClusterSettings(
                advertise=host_port(settings.bind_address, port),
                peers=tuple(host_port(peer.bind_address, port) for peer in settings.peers),
                bind_address=settings.bind_address,
            )
        return cls(
            stack=settings.stack,
            image=settings.images["alertmanager"],
            receivers=settings.receivers,
            external_url=settings.external_url(settings.alertmanager_port),
            networks=settings.networks,
            routing=settings.alert_routing,
            thresholds=settings.alert_thresholds,
            cluster=cluster,
            snapshot_interval=settings.silence_limits.snapshot_interval,
        )


def secret_path(receiver: Receiver) -> str:
    """Where a receiver's credential is uploaded (0400): Alertmanager reads it through a `*_file` field."""
    return f"{catalog.ALERTMANAGER_SECRETS_DIR}/{receiver.name}"


def ca_path(receiver: Receiver) -> str:
    return f"{RECEIVER_CA_DIR}/{receiver.name}-ca.pem"


def notification_template() -> str:
    return TEMPLATE_SOURCE.read_text()


def _tls(receiver: Receiver) -> dict[str, Any]:
    # Verification is never optional: a receiver with a private CA gets that CA, never skip-verify.
    tls: dict[str, Any] = {"insecure_skip_verify": False}
    if receiver.ca_pem:
        tls["ca_file"] = ca_path(receiver)
    return tls


def _http(receiver: Receiver) -> dict[str, Any]:
    return {"http_config": {"tls_config": _tls(receiver), "follow_redirects": False}}


def _receiver(receiver: Receiver) -> dict[str, Any]:
    """One `receivers:` entry. Credentials only ever as `*_file` paths."""
    resolved = {"send_resolved": receiver.send_resolved}
    if receiver.kind == "webhook":
        webhook: dict[str, Any] = {"url": receiver.webhook_url, **resolved}
        if receiver.webhook_url.startswith("https://"):
            webhook.update(_http(receiver))
        return {"name": receiver.name, "webhook_configs": [webhook]}
    if receiver.kind == "pagerduty":
        pagerduty: dict[str, Any] = {
            "routing_key_file": secret_path(receiver),
            **resolved,
            "description": TITLE,
            "severity": '{{ template "promshield.pagerduty.severity" . }}',
            "details": {"alerts": TEXT},  # Alertmanager adds its defaults (firing, resolved, counts)
            **_http(receiver),
        }
        if receiver.url:
            pagerduty["url"] = receiver.url
        return {"name": receiver.name, "pagerduty_configs": [pagerduty]}
    if receiver.kind == "slack":
        slack: dict[str, Any] = {"api_url_file": secret_path(receiver), **resolved, "title": TITLE, "text": TEXT}
        if receiver.channel:
            slack["channel"] = receiver.channel
        slack.update(_http(receiver))
        return {"name": receiver.name, "slack_configs": [slack]}
    if receiver.kind == "opsgenie":
        opsgenie: dict[str, Any] = {
            "api_key_file": secret_path(receiver),
            **resolved,
            "message": TITLE,
            "description": TEXT,
            "priority": '{{ template "promshield.opsgenie.priority" . }}',
            **_http(receiver),
        }
        if receiver.url:
            opsgenie["api_url"] = receiver.url
        return {"name": receiver.name, "opsgenie_configs": [opsgenie]}
    email = receiver.email
    if email is None:  # the reader never builds one without
        raise ValueError(f"e-mail receiver {receiver.name} has no e-mail settings")
    return {
        "name": receiver.name,
        "email_configs": [
            {
                "to": email.to,
                "from": email.sender,
                "smarthost": email.smarthost,
                "auth_username": email.username,
                "auth_password_file": secret_path(receiver),
                "require_tls": True,  # STARTTLS or nothing: the password never crosses in clear
                "tls_config": _tls(receiver),  # the certificate is checked against the smarthost's name
                **resolved,
                "headers": {"Subject": TITLE},
                "text": TEXT,
                "html": '{{ template "promshield.html" . }}',
            }
        ],
    }


def _route(route: Route) -> dict[str, Any]:
    out: dict[str, Any] = {"receiver": route.receiver, "matchers": list(route.matchers)}
    if route.continue_:
        out["continue"] = True
    if route.active_time_intervals:
        out["active_time_intervals"] = list(route.active_time_intervals)
    if route.mute_time_intervals:
        out["mute_time_intervals"] = list(route.mute_time_intervals)
    return out


def render_alertmanager_yml(settings: AlertmanagerSettings) -> str:
    routing = settings.routing
    receivers: list[dict[str, Any]] = [_receiver(r) for r in settings.receivers]
    watchdog: dict[str, Any] = {"receiver": WATCHDOG_RECEIVER, "matchers": ['alertname="Watchdog"']}
    if routing.watchdog_receiver:
        # A dead-man's switch expects a steady heartbeat: resend often, and nothing else reaches it.
        watchdog = {
            **watchdog,
            "receiver": routing.watchdog_receiver,
            "group_wait": "0s",
            "group_interval": "1m",
            "repeat_interval": "1m",
        }
    else:
        # The always-firing Watchdog proves the alert path works; it must not page anyone.
        receivers.append({"name": WATCHDOG_RECEIVER})
    default = routing.default_receiver or settings.receivers[0].name
    config: dict[str, Any] = {
        "global": {"resolve_timeout": "5m"},
        "templates": [f"{TEMPLATES_DIR}/*.tmpl"],
        "route": {
            "receiver": default,
            "group_by": ["alertname", "job"],
            "group_wait": "10s",
            "group_interval": "1m",
            "repeat_interval": "4h",
            "routes": [watchdog, *(_route(r) for r in routing.routes)],
        },
        "inhibit_rules": inhibit_rules(settings.thresholds),
        "receivers": receivers,
    }
    if routing.time_intervals:
        config["time_intervals"] = [
            {"name": i.name, "time_intervals": [dict(r) for r in i.ranges]} for i in routing.time_intervals
        ]
    return yaml.safe_dump(config, sort_keys=False)


def alertmanager_command(settings: AlertmanagerSettings) -> list[str]:
    if settings.cluster is None:
        cluster = ["--cluster.listen-address="]  # single node: no gossip port
    else:
        # Gossip only over mutual TLS with certificates of the stack CA (memberlist's TLS transport: TCP only).
        cluster = [
            f"--cluster.listen-address=0.0.0.0:{catalog.ALERTMANAGER_CLUSTER_PORT}",
            f"--cluster.advertise-address={settings.cluster.advertise}",
            *(f"--cluster.peer={peer}" for peer in settings.cluster.peers),
            f"--cluster.tls-config={catalog.ALERTMANAGER_CLUSTER_TLS_FILE}",
        ]
    return [
        f"--config.file={catalog.ALERTMANAGER_CONFIG_FILE}",
        f"--web.config.file={catalog.ALERTMANAGER_WEB_CONFIG_FILE}",
        f"--web.listen-address=:{catalog.ALERTMANAGER.port}",
        f"--web.external-url={settings.external_url}",
        f"--storage.path={catalog.ALERTMANAGER.data_dir}",
        # A silence acknowledged with 200 is on disk within this (default 15m: a SIGKILL or OOM lost them all).
        f"--data.maintenance-interval={settings.snapshot_interval}",
        *cluster,
        "--log.format=json",
    ]


def render_cluster_tls(service: catalog.Service) -> str:
    """`--cluster.tls-config`: peers must present a certificate of the stack CA, and are verified by the
    address they are dialled at (an IP SAN of their certificate). Alertmanager's own certificate is both."""
    server = yaml.safe_load(render_web_config(service))["tls_server_config"]
    client = {
        "ca_file": f"{service.tls_dir}/{catalog.TLS_CA_FILE}",
        "cert_file": f"{service.tls_dir}/{catalog.TLS_CERT_FILE}",
        "key_file": service.key_file,
    }
    return yaml.safe_dump({"tls_server_config": server, "tls_client_config": client}, sort_keys=False)
