"""Alerting: receivers by type, their secrets as 0400 files, routes, time intervals, inhibitions.

The rendered alertmanager.yml is also run through Debian's amtool (tests/render/test_alert_routing.py)
and the real Alertmanager (tests/acceptance/test_76_alerting.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.alertmanager.render import WATCHDOG_RECEIVER, AlertmanagerSettings, render_alertmanager_yml
from components.core import catalog
from components.prometheus.rules import alert_names, rule_groups
from components.prometheus.rules.inhibitions import SERVICES, TARGET_DOWN, inhibit_rules, symptoms
from harness.receivers import make_pki
from testing.mock_stack import run_program
from tests.unit.test_settings import load, problems_of

PAGER_KEY = "0123456789abcdef0123456789abcdef"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/abcdefabcdef"
OPSGENIE_KEY = "opsgenie-api-key-0000"
SMTP_PASSWORD = "smtp password with spaces"
ALL_TYPES: dict[str, Any] = {
    "alertmanagerReceivers": [
        {"name": "pager", "pagerduty": {}},
        {"name": "chat", "slack": {"channel": "#trading-alerts"}},
        {"name": "ops-genie", "opsgenie": {"url": "https://opsgenie-proxy.internal/"}},
        {
            "name": "mail",
            "email": {
                "to": "oncall@trading.example",
                "from": "promshield@trading.example",
                "smarthost": "smtp.trading.example:587",
            },
        },
    ],
    "alertmanagerReceiverSecrets": {
        "pager": PAGER_KEY,
        "chat": SLACK_URL,
        "ops-genie": OPSGENIE_KEY,
        "mail": SMTP_PASSWORD,
    },
}
SECRETS = (PAGER_KEY, SLACK_URL, OPSGENIE_KEY, SMTP_PASSWORD)


def rendered(config: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(render_alertmanager_yml(AlertmanagerSettings.of(load(config))))
    return document


def routes(config: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(r["receiver"], r["matchers"]) for r in rendered(config)["route"]["routes"]]


def test_the_default_stack_keeps_one_webhook_and_the_watchdog_null_receiver() -> None:
    document = rendered({})
    assert document["route"]["receiver"] == "default"
    assert routes({}) == [(WATCHDOG_RECEIVER, ['alertname="Watchdog"'])]
    assert [r["name"] for r in document["receivers"]] == ["default", WATCHDOG_RECEIVER]


def test_out_of_the_box_critical_pages_and_everything_else_goes_to_chat() -> None:
    document = rendered(ALL_TYPES)
    assert document["route"]["receiver"] == "chat", "the first slack/webhook receiver, not the first listed"
    assert routes(ALL_TYPES) == [(WATCHDOG_RECEIVER, ['alertname="Watchdog"']), ("pager", ['severity="critical"'])]


def test_without_a_chat_receiver_the_first_one_is_the_default() -> None:
    config = {
        "alertmanagerReceivers": [{"name": "ops-genie", "opsgenie": {}}],
        "alertmanagerReceiverSecrets": {"ops-genie": OPSGENIE_KEY},
    }
    assert rendered(config)["route"]["receiver"] == "ops-genie"
    assert routes(config) == [(WATCHDOG_RECEIVER, ['alertname="Watchdog"'])], "no route to itself"


def test_routes_keep_their_order_continue_and_time_intervals() -> None:
    config = {
        **ALL_TYPES,
        "timeIntervals": {
            "business-hours": [
                {
                    "weekdays": ["monday:friday"],
                    "times": [{"startTime": "08:00", "endTime": "18:00"}],
                    "location": "Europe/London",
                }
            ]
        },
        "alertRoutes": [
            {"matchers": ['severity="critical"'], "receiver": "pager", "continue": True},
            {"matchers": ['severity="critical"'], "receiver": "mail"},
            {"matchers": ["severity=~warning|info"], "receiver": "chat", "muteTimeIntervals": ["business-hours"]},
            {"matchers": [], "receiver": "ops-genie", "activeTimeIntervals": ["business-hours"]},
        ],
        "alertDefaultReceiver": "mail",
        "watchdogReceiver": "ops-genie",
    }
    document = rendered(config)
    assert document["route"]["receiver"] == "mail"
    watchdog, *rest = document["route"]["routes"]
    assert watchdog["receiver"] == "ops-genie" and watchdog["repeat_interval"] == "1m", "a dead man's switch"
    assert rest == [
        {"receiver": "pager", "matchers": ['severity="critical"'], "continue": True},
        {"receiver": "mail", "matchers": ['severity="critical"']},
        {"receiver": "chat", "matchers": ['severity=~"warning|info"'], "mute_time_intervals": ["business-hours"]},
        {"receiver": "ops-genie", "matchers": [], "active_time_intervals": ["business-hours"]},
    ]
    assert WATCHDOG_RECEIVER not in [r["name"] for r in document["receivers"]]
    assert document["time_intervals"] == [
        {
            "name": "business-hours",
            "time_intervals": [
                {
                    "weekdays": ["monday:friday"],
                    "times": [{"start_time": "08:00", "end_time": "18:00"}],
                    "location": "Europe/London",
                }
            ],
        }
    ]


def test_credentials_are_file_references_and_tls_is_always_verified() -> None:
    text = render_alertmanager_yml(AlertmanagerSettings.of(load(ALL_TYPES)))
    assert not [s for s in SECRETS if s in text]
    by_name = {r["name"]: r for r in yaml.safe_load(text)["receivers"]}
    secrets_dir = catalog.ALERTMANAGER_SECRETS_DIR
    assert by_name["pager"]["pagerduty_configs"][0]["routing_key_file"] == f"{secrets_dir}/pager"
    assert by_name["chat"]["slack_configs"][0]["api_url_file"] == f"{secrets_dir}/chat"
    assert by_name["ops-genie"]["opsgenie_configs"][0]["api_key_file"] == f"{secrets_dir}/ops-genie"
    assert by_name["ops-genie"]["opsgenie_configs"][0]["api_url"] == "https://opsgenie-proxy.internal/"
    mail = by_name["mail"]["email_configs"][0]
    assert mail["auth_password_file"] == f"{secrets_dir}/mail" and mail["require_tls"] is True
    assert mail["auth_username"] == "promshield@trading.example", "the from address unless set"
    assert "insecure_skip_verify: true" not in text and text.count("insecure_skip_verify: false") == 4


def test_receiver_secrets_reach_alertmanager_only_as_secret_0400_files() -> None:
    recorded = run_program({**ALL_TYPES}, stack="test", secret_keys=("alertmanagerReceiverSecrets",))
    files = recorded.container_files(catalog.container_name("test", catalog.ALERTMANAGER))
    for name, value in (
        ("pager", PAGER_KEY),
        ("chat", SLACK_URL),
        ("ops-genie", OPSGENIE_KEY),
        ("mail", SMTP_PASSWORD),
    ):
        upload = files[f"{catalog.ALERTMANAGER_SECRETS_DIR}/{name}"]
        assert upload["content"] == value, "verbatim: no newline (0.25 reads Opsgenie keys and SMTP passwords as is)"
        assert upload["permissions"] == "0400" and upload["secret"]
    others = {path: f for path, f in files.items() if not path.startswith(catalog.ALERTMANAGER_SECRETS_DIR)}
    assert not [(path, s) for path, f in others.items() for s in SECRETS if s in f["content"]]


def test_a_private_ca_is_uploaded_and_named_in_the_receivers_tls_config(tmp_path: Path) -> None:
    ca = make_pki(tmp_path)
    config = {**ALL_TYPES, "alertmanagerReceivers": [{**ALL_TYPES["alertmanagerReceivers"][0], "caPem": ca}]}
    config["alertmanagerReceiverSecrets"] = {"pager": PAGER_KEY}
    document = rendered(config)
    tls = document["receivers"][0]["pagerduty_configs"][0]["http_config"]["tls_config"]
    assert tls == {
        "insecure_skip_verify": False,
        "ca_file": f"{catalog.ALERTMANAGER.config_dir}/receivers/pager-ca.pem",
    }
    recorded = run_program(config, stack="test", secret_keys=("alertmanagerReceiverSecrets",))
    files = recorded.container_files(catalog.container_name("test", catalog.ALERTMANAGER))
    assert files[tls["ca_file"]]["content"] == ca


def test_every_alerting_problem_is_reported_at_once() -> None:
    problems = problems_of(
        {
            "alertmanagerReceivers": [
                {"name": "pager", "pagerduty": {}},
                {"name": "mail", "email": {"to": "a@b.example", "from": "c@d.example"}},
            ],
            "alertmanagerReceiverSecrets": {"mail": "pw", "ghost": "x"},
            "alertRoutes": [
                {"matchers": ["severity==critical"], "receiver": "pagr"},
                {"matchers": ['severity="warning"'], "receiver": "mail", "muteTimeIntervals": ["weekend"]},
            ],
        }
    )
    assert len(problems) == 6, problems
    for start in (
        "promshield:alertmanagerReceiverSecrets.pager = null: a pagerduty receiver needs",
        "promshield:alertmanagerReceivers[mail].email.smarthost = null:",
        'promshield:alertmanagerReceiverSecrets = "ghost": has a secret for a receiver not listed',
        'promshield:alertRoutes[0].receiver = "pagr": no receiver of that name',
        'promshield:alertRoutes[0].matchers = "severity==critical": expected a matcher',
        'promshield:alertRoutes[1].muteTimeIntervals = "weekend": no time interval of that name',
    ):
        assert any(p.startswith(start) for p in problems), (start, problems)


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("http://hooks.slack.com/services/x", "expected the Slack incoming-webhook URL"),
        ("hooks.slack.com/services/x", "expected the Slack incoming-webhook URL"),
        ("https://hooks.slack.com/x\n", "as one line of text"),
    ],
)
def test_a_bad_slack_url_is_reported_without_showing_it(secret: str, why: str) -> None:
    problems = problems_of(
        {"alertmanagerReceivers": [{"name": "chat", "slack": {}}], "alertmanagerReceiverSecrets": {"chat": secret}}
    )
    assert problems == [p for p in problems if p.startswith("promshield:alertmanagerReceiverSecrets.chat = <secret>:")]
    assert why in problems[0] and secret.strip() not in problems[0]


@pytest.mark.parametrize(
    ("matcher", "canonical"),
    [
        ('severity="critical"', 'severity="critical"'),
        ("severity=critical", 'severity="critical"'),
        ('job!="redis"', 'job!="redis"'),
        ('alertname=~"Redis.*|DuckDB.*"', 'alertname=~"Redis.*|DuckDB.*"'),
        ("instance !~ a.+", 'instance!~"a.+"'),
        ('desk="say \\"hi\\""', 'desk="say \\"hi\\""'),
    ],
)
def test_alertmanager_matchers_are_accepted_and_written_quoted(matcher: str, canonical: str) -> None:
    config = {"alertRoutes": [{"matchers": [matcher], "receiver": "default"}]}
    assert load(config).alert_routing.routes[0].matchers == (canonical,)


@pytest.mark.parametrize(
    "matcher", ["severity", '"severity"="critical"', "severity=~(", "a b=c", 'x="unterminated', 'job=~"(?!redis).*"']
)
def test_bad_matchers_are_refused(matcher: str) -> None:
    (problem,) = problems_of({"alertRoutes": [{"matchers": [matcher], "receiver": "default"}]})
    assert problem.startswith("promshield:alertRoutes[0].matchers = ")


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"weekdays": ["mondays"]}, "weekdays"),
        ({"times": [{"startTime": "18:00", "endTime": "08:00"}]}, "times"),
        ({"times": [{"startTime": "8:00", "endTime": "18:00"}]}, "times"),
        ({"location": "Mars/Olympus_Mons"}, "location"),
        ({"daysOfMonth": ["0"]}, "daysOfMonth"),
        ({"months": ["13"]}, "months"),
        ({"hours": ["1"]}, "hours"),
    ],
)
def test_bad_time_intervals_are_refused(entry: dict[str, Any], field: str) -> None:
    (problem,) = problems_of({"timeIntervals": {"desk": [entry]}})
    assert problem.startswith(f"promshield:timeIntervals.desk[0].{field} ")


def test_every_service_down_alert_and_symptom_exists_in_our_rules() -> None:
    names = set(alert_names())
    for service in SERVICES:
        assert service.down_alert in names
    for group, targets in symptoms().items():
        assert targets, f"{group} has no symptom alerts"
        assert set(targets) <= names


def test_a_service_down_alert_inhibits_every_other_alert_of_its_group() -> None:
    groups = {g["name"]: [r["alert"] for r in g["rules"] if "alert" in r] for f in rule_groups().values() for g in f}
    by_source = {tuple(rule["source_matchers"]): rule for rule in inhibit_rules()}
    redis = by_source[('alertname="RedisDown"', 'job="redis"')]
    assert redis["target_matchers"] == [f'alertname=~"RedisMemoryNearMax|RedisRejectedConnections|{TARGET_DOWN}"']
    assert redis["equal"] == ["job", "instance"]
    trade = by_source[(f'alertname="{TARGET_DOWN}"', 'job="trade-engine"')]
    assert trade["target_matchers"] == [f'alertname=~"{"|".join(groups["trade-engine.alerts"])}"']
    assert trade["equal"] == ["job"], "the Trade Engine's alerts aggregate per venue: no instance label"
    severity = by_source[('severity="critical"',)]
    assert severity == {
        "source_matchers": ['severity="critical"'],
        "target_matchers": ['severity="warning"'],
        # a critical on one venue must not mute the same warning on another (no `instance` there)
        "equal": ["alertname", "instance", "venue"],
    }
    assert len(by_source) == len(SERVICES) + 1


def test_the_notification_template_names_summary_severity_target_and_runbook() -> None:
    from components.alertmanager.render import notification_template

    text = notification_template()
    for needle in (
        ".Annotations.summary",
        ".Labels.severity",
        ".Labels.redis_instance",
        ".Labels.instance",
        ".Annotations.runbook_url",
    ):
        assert needle in text
