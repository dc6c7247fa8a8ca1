"""The acceptance stack's on-call receivers and the local stand-ins for the services behind them.

Two fixture containers on the backend network (the stand-in Python image running `fakes.py`):
`receivers` answers HTTPS for PagerDuty (Events v2), Slack (incoming webhook) and Opsgenie (Alert API)
under the aliases below, and `smtp` is an SMTP server requiring STARTTLS and AUTH. Both present a
certificate from a test CA made for each run; the receivers trust it through their `caPem`, so
Alertmanager verifies TLS as it would against the real services. Every credential is random per run.

`alerting_config()` is the part of the stack's config they need; the render tests run
`amtool config routes test` over the same routes (tests/render/test_alert_routing.py).
"""

from __future__ import annotations

import email
import email.policy
import json
import secrets
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from harness.testpki import write_server_pki

HTTPS_PORT = 8443
SMTP_PORT = 2587  # not 465, so STARTTLS as on 587; above 1024 for the unprivileged stand-in
PAGERDUTY_HOST = "pagerduty-standin"
SLACK_HOST = "slack-standin"
OPSGENIE_HOST = "opsgenie-standin"
SMTP_HOST = "smtp-standin"
HTTPS_ALIASES = (PAGERDUTY_HOST, SLACK_HOST, OPSGENIE_HOST)
SMTP_USER = "promshield"
MAIL_TO = "oncall@trading.example"
MAIL_FROM = "promshield@trading.example"
# Inside the fixtures (bound from the run directory).
TLS_DIR = "/standin-tls"
OUT_DIR = "/standin-out"
HTTPS_LOG = "https.jsonl"
SMTP_LOG = "smtp.jsonl"
SMTP_CREDENTIALS = "smtp-credentials.json"  # what the SMTP stand-in accepts (a file: never a command line)


@dataclass(frozen=True)
class ReceiverSecrets:
    pagerduty_routing_key: str
    slack_webhook_url: str
    opsgenie_api_key: str
    smtp_password: str

    @classmethod
    def random(cls) -> ReceiverSecrets:
        return cls(
            pagerduty_routing_key=secrets.token_hex(16),
            slack_webhook_url=f"https://{SLACK_HOST}:{HTTPS_PORT}/services/T0STANDIN/B0STANDIN/{secrets.token_hex(12)}",
            opsgenie_api_key=secrets.token_hex(18),
            smtp_password=secrets.token_urlsafe(18),
        )

    def by_receiver(self) -> dict[str, str]:
        return {
            "pager": self.pagerduty_routing_key,
            "chat": self.slack_webhook_url,
            "ops-genie": self.opsgenie_api_key,
            "mail": self.smtp_password,
        }

    def named(self) -> dict[str, str]:
        """For the suite's secret scans (test_70, test_72, test_80): what each value is."""
        return {
            "PagerDuty routing key": self.pagerduty_routing_key,
            "Slack webhook URL": self.slack_webhook_url,
            "Slack webhook token": self.slack_webhook_url.rsplit("/", 1)[1],
            "Opsgenie API key": self.opsgenie_api_key,
            "SMTP password": self.smtp_password,
        }


def alerting_config(ca_pem: str, receiver_secrets: ReceiverSecrets, webhook_url: str) -> dict[str, Any]:
    """Receivers, routes and time intervals of the acceptance stack.

    The webhook `test` stays the default receiver (test_75: the firing InstanceManagerInstancesFailed, a
    warning of the Instance Manager, reaches it; the Watchdog goes to the null receiver)."""
    return {
        "alertmanagerReceivers": [
            {"name": "test", "webhookUrl": webhook_url},
            {
                "name": "pager",
                "pagerduty": {"url": f"https://{PAGERDUTY_HOST}:{HTTPS_PORT}/v2/enqueue"},
                "caPem": ca_pem,
            },
            {"name": "chat", "slack": {"channel": "#trading-alerts"}, "caPem": ca_pem},
            {"name": "ops-genie", "opsgenie": {"url": f"https://{OPSGENIE_HOST}:{HTTPS_PORT}/"}, "caPem": ca_pem},
            {
                "name": "mail",
                "email": {
                    "to": MAIL_TO,
                    "from": MAIL_FROM,
                    "smarthost": f"{SMTP_HOST}:{SMTP_PORT}",
                    "username": SMTP_USER,
                },
                "caPem": ca_pem,
            },
        ],
        "alertmanagerReceiverSecrets": receiver_secrets.by_receiver(),
        "timeIntervals": {
            "business-hours": [
                {
                    "weekdays": ["monday:friday"],
                    "times": [{"startTime": "08:00", "endTime": "18:00"}],
                    "location": "Europe/London",
                }
            ],
            "all-week": [{"weekdays": ["sunday:saturday"]}],  # always: the muted route mutes whenever the test runs
        },
        "alertRoutes": [
            {"matchers": ['severity="critical"', 'desk="fx"'], "receiver": "ops-genie"},
            {"matchers": ['severity="critical"'], "receiver": "pager", "continue": True},
            {"matchers": ['severity="critical"'], "receiver": "mail"},
            {"matchers": ['severity="warning"', 'desk="batch"'], "receiver": "chat", "muteTimeIntervals": ["all-week"]},
            {"matchers": ['severity="warning"', 'job=~"trade-engine|redis|duckdb"'], "receiver": "chat"},
            {"matchers": ['severity="info"'], "receiver": "chat", "activeTimeIntervals": ["business-hours"]},
        ],
    }


# (labels, receivers amtool must route them to) for every route of alerting_config, in order.
ROUTING_CASES: tuple[tuple[dict[str, str], tuple[str, ...]], ...] = (
    ({"alertname": "TradeFailureRatioHigh", "severity": "critical", "desk": "fx"}, ("ops-genie",)),
    ({"alertname": "RedisDown", "severity": "critical", "job": "redis"}, ("pager", "mail")),
    ({"alertname": "DuckDBMetricsStale", "severity": "warning", "job": "duckdb", "desk": "batch"}, ("chat",)),
    ({"alertname": "RedisMemoryNearMax", "severity": "warning", "job": "redis"}, ("chat",)),
    ({"alertname": "InstanceManagerInstancesFailed", "severity": "warning", "job": "instance-manager"}, ("test",)),
    ({"alertname": "SomethingInformative", "severity": "info"}, ("chat",)),
    ({"alertname": "Watchdog", "severity": "none"}, ("watchdog-null",)),
)


def make_pki(directory: Path) -> str:
    """A test CA and one server certificate for every stand-in name, written to `directory`
    (readable by the fixtures' unprivileged user: a throwaway test key). Returns the CA's PEM."""
    return write_server_pki(directory, "promshield acceptance receivers CA", [*HTTPS_ALIASES, SMTP_HOST])


def records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def mail_message(record: dict[str, Any]) -> EmailMessage:
    message = email.message_from_string(record["data"], policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def mail_bodies(record: dict[str, Any]) -> dict[str, str]:
    """content type -> decoded body of every part of a recorded e-mail."""
    message = mail_message(record)
    return {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}
