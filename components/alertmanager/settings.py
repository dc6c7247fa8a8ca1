"""Alertmanager's settings.

Readers of where alerts go: receivers by type, their secrets, routes, time intervals, the Watchdog's receiver.

Every receiver's credential comes from the secret `alertmanagerReceiverSecrets` (by receiver name)
and is checked here, so a missing, orphaned or malformed one stops the program before anything
exists; the values themselves are never shown in a problem.

And what creating silences may cost (`silenceLimits`); its config keys in `KEYS`."""

from __future__ import annotations

import dataclasses
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from components.core.settings.declare import Declared, bounded, duration, read_declared
from components.core.settings.egress import EGRESS_KEY, read_egress_cidrs
from components.core.settings.keys import ConfigKey, defaults
from components.core.settings.reader import Reader, check_url
from components.core.settings.types import SecretValue

RECEIVER_KINDS = ("webhook", "pagerduty", "slack", "opsgenie", "email")

PAGER_KINDS = ("pagerduty", "opsgenie")  # who the out-of-the-box route sends critical alerts to

CHAT_KINDS = ("slack", "webhook")  # ... and everything else


@dataclass(frozen=True)
class EmailSettings:
    to: str
    sender: str  # the From address
    smarthost: str  # host:port; STARTTLS is always required
    username: str  # SMTP auth user (the From address unless set)


@dataclass(frozen=True)
class Receiver:
    """One notification receiver. Its credential (`secret`) reaches Alertmanager only as a 0400 file."""

    name: str
    webhook_url: str = ""  # webhook only (Alertmanager 0.25 has no url_file: never a credential in it)
    send_resolved: bool = True
    kind: str = "webhook"  # one of RECEIVER_KINDS
    url: str | None = None  # API endpoint override (PagerDuty events URL, Opsgenie API URL): proxies, tests
    channel: str | None = None  # Slack
    email: EmailSettings | None = None
    ca_pem: str | None = None  # a private CA the receiver's TLS certificate is verified against
    secret: SecretValue | None = None  # routing key, Slack webhook URL, API key or SMTP password
    # Where the receiver is outside the host (alertmanagerEgress): the CIDRs the firewall lets
    # Alertmanager reach on the receiver's port; () means it is a container on the backend network.
    egress_cidrs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    """One entry of `alertRoutes`, in order; the first match wins unless `continue_`."""

    matchers: tuple[str, ...]
    receiver: str
    continue_: bool = False
    active_time_intervals: tuple[str, ...] = ()
    mute_time_intervals: tuple[str, ...] = ()


@dataclass(frozen=True)
class TimeInterval:
    """A named set of time ranges, as Alertmanager's `time_intervals` entries (snake_case keys)."""

    name: str
    ranges: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class AlertRouting:
    """Where alerts go: the ordered routes, the default receiver and the Watchdog's receiver."""

    routes: tuple[Route, ...] = ()
    default_receiver: str = ""  # "" only before reading: the reader always picks one
    watchdog_receiver: str | None = None  # a dead-man's switch; None: the null receiver
    time_intervals: tuple[TimeInterval, ...] = ()


class SilenceLimits(Declared):
    """`promshield:silenceLimits`: what creating silences may cost Alertmanager, and how soon an acknowledged
    silence is on disk."""

    max_body_bytes: int = bounded(4096, "Proxy: body of POST /api/v2/silences (matchers + comment).", 512, 65536)
    per_minute: int = bounded(6, "Proxy: silences created per minute per credential.", 1, 600)
    burst: int = bounded(20, "Proxy: silences one credential may create at once above the rate.", 0, 1000)
    snapshot_interval: str = duration(
        "250ms", "Alertmanager --data.maintenance-interval (a Go duration).", 100, 15 * 60_000, go=True
    )


DEFAULT_SILENCE_LIMITS = SilenceLimits()


def read_silence_limits(r: Reader) -> SilenceLimits:
    return read_declared(r, "silenceLimits", SilenceLimits, r.structured("silenceLimits", {}, dict))


DEFAULT_RECEIVER = Receiver("default", "http://alert-receiver:4000/alerts", True)
RECEIVER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
INTERVAL_NAME = RECEIVER_NAME
SECRETS_KEY = "alertmanagerReceiverSecrets"
KIND_KEYS: Mapping[str, frozenset[str]] = {
    "pagerduty": frozenset({"url"}),
    "slack": frozenset({"channel"}),
    "opsgenie": frozenset({"url"}),
    "email": frozenset({"to", "from", "smarthost", "username"}),
}
RECEIVER_KEYS = {"name", "webhookUrl", "sendResolved", "caPem", EGRESS_KEY, *KIND_KEYS}  # a webhook is its webhookUrl
# Where Alertmanager sends a receiver's notifications when no `url` overrides it (its own defaults).
DEFAULT_ENDPOINTS = {"pagerduty": "https://events.pagerduty.com/v2/enqueue", "opsgenie": "https://api.opsgenie.com/"}
HTTPS_PORT = 443
# What each kind's secret is, for the message that asks for it.
SECRET_MEANING = {
    "pagerduty": "its PagerDuty Events v2 routing key",
    "slack": "its Slack incoming-webhook URL",
    "opsgenie": "its Opsgenie API key",
    "email": "its SMTP password",
}
# Alertmanager's matcher syntax (label, operator, quoted or bare value), as both 0.25 and 0.28 parse it.
MATCHER = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s,{}=!~]*))\s*$')
HOST_PORT = re.compile(r"^[A-Za-z0-9.-]+:[0-9]{1,5}$")
EMAIL = re.compile(r"^[^@\s<>]+@[A-Za-z0-9.-]+$")
ROUTE_KEYS = {"matchers", "receiver", "continue", "activeTimeIntervals", "muteTimeIntervals"}
# timeIntervals entries in our camelCase -> Alertmanager's key.
INTERVAL_KEYS = {
    "times": "times",
    "weekdays": "weekdays",
    "daysOfMonth": "days_of_month",
    "months": "months",
    "years": "years",
    "location": "location",
}
WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")


def receiver_secret_hint(name: str, kind: str) -> str:
    return f"pulumi config set --secret --path '{SECRETS_KEY}.{name}' <{SECRET_MEANING[kind].removeprefix('its ')}>"


def receiver_endpoint(receiver: Receiver) -> tuple[str | None, int]:
    """(host, port) Alertmanager connects to for `receiver`; the host is None for Slack (its URL is the secret)."""
    if receiver.email is not None:
        host, _, port = receiver.email.smarthost.rpartition(":")
        return host, int(port)
    if receiver.kind == "slack":
        return None, HTTPS_PORT
    url = urlparse(
        receiver.webhook_url if receiver.kind == "webhook" else receiver.url or DEFAULT_ENDPOINTS[receiver.kind]
    )
    return url.hostname, url.port or (HTTPS_PORT if url.scheme == "https" else 80)


def read_receivers(r: Reader, egress: bool = False) -> tuple[tuple[Receiver, ...], tuple[str, ...]]:
    """The valid receivers, and every name declared (so a route to a receiver with a problem of its own
    is not reported a second time). With `egress` (alertmanagerEgress), each receiver outside the host
    carries the CIDRs the firewall lets Alertmanager reach."""
    default = [{"name": DEFAULT_RECEIVER.name, "webhookUrl": DEFAULT_RECEIVER.webhook_url}]
    raw = r.structured("alertmanagerReceivers", default, list)
    secrets = r.structured(SECRETS_KEY, {}, dict)
    receivers: list[Receiver] = []
    names: list[str] = []  # declared, in order
    if not raw:
        r.problem("alertmanagerReceivers", raw, "expected at least one receiver")
    for entry in raw:
        if not isinstance(entry, dict):
            r.problem(
                "alertmanagerReceivers", entry, 'expected objects like {"name": "oncall", "webhookUrl": "https://..."}'
            )
            continue
        name = entry.get("name")
        if not isinstance(name, str) or not RECEIVER_NAME.match(name) or name in names:
            r.problem("alertmanagerReceivers[].name", name, "expected a unique name of letters, digits, '_' or '-'")
            continue
        names.append(name)
        receiver = _read_receiver(r, name, entry, secrets.get(name))
        if receiver is not None:
            receivers.append(_with_egress(r, receiver, entry.get(EGRESS_KEY), egress))
    for name in secrets:
        if name not in names:
            r.problem(
                SECRETS_KEY,
                name,
                "has a secret for a receiver not listed in promshield:alertmanagerReceivers; remove it with "
                f"pulumi config rm --path '{SECRETS_KEY}.{name}' or add the receiver",
            )
    return tuple(receivers), tuple(names)


def _with_egress(r: Reader, receiver: Receiver, raw: object, egress: bool) -> Receiver:
    key = f"alertmanagerReceivers[{receiver.name}]"
    if not egress:
        if raw is not None:
            r.problem(
                f"{key}.{EGRESS_KEY}",
                raw,
                "Alertmanager reaches nothing outside the host unless promshield:alertmanagerEgress is true; "
                "set it, or remove egressCidrs",
            )
        return receiver
    host, _ = receiver_endpoint(receiver)
    cidrs = read_egress_cidrs(r, key, raw, host or "")
    if not cidrs and raw is None and (receiver.kind == "slack" or receiver.kind in DEFAULT_ENDPOINTS):
        r.problem(
            f"{key}.{EGRESS_KEY}",
            None,
            f"a {receiver.kind} receiver is outside the host ({host or 'the Slack webhook host'}) and the firewall "
            "grants addresses, not names: list the CIDRs Alertmanager may reach it at (the service's published "
            "ranges)",
        )
    return dataclasses.replace(receiver, egress_cidrs=cidrs)


def _read_receiver(r: Reader, name: str, entry: dict[str, Any], raw_secret: object) -> Receiver | None:
    key = f"alertmanagerReceivers[{name}]"
    if set(entry) - RECEIVER_KEYS:
        r.unknown_keys(key, entry, RECEIVER_KEYS, f"--path 'alertmanagerReceiverSecrets.{name}'")
        return None
    kinds = [kind for kind in RECEIVER_KINDS if kind != "webhook" and kind in entry]
    if len(kinds) > 1 or (kinds and "webhookUrl" in entry):
        r.problem(
            key,
            sorted(set(entry) & RECEIVER_KEYS - {"name", "sendResolved", "caPem"}),
            "expected exactly one receiver type: webhookUrl, pagerduty, slack, opsgenie or email",
        )
        return None
    kind = kinds[0] if kinds else "webhook"
    send_resolved = entry.get("sendResolved", True)
    if not isinstance(send_resolved, bool):
        r.problem(f"{key}.sendResolved", send_resolved, "expected true or false")
        return None
    ca_pem = entry.get("caPem")
    if ca_pem is not None and (not isinstance(ca_pem, str) or "BEGIN CERTIFICATE" not in ca_pem):
        r.problem(f"{key}.caPem", "<pem>", "expected a PEM CA certificate the receiver's TLS certificate chains to")
        return None
    secret = _read_secret(r, name, kind, raw_secret)
    if kind == "webhook":
        url = entry.get("webhookUrl")
        if not check_url(r, f"{key}.webhookUrl", url, ("http", "https")):
            return None
        return Receiver(name, str(url), send_resolved, ca_pem=ca_pem)
    options = entry[kind]
    if options is None:
        options = {}
    if not isinstance(options, dict):
        r.problem(f"{key}.{kind}", options, f"expected an object ({', '.join(sorted(KIND_KEYS[kind]))} or nothing)")
        return None
    if set(options) - KIND_KEYS[kind]:
        r.unknown_keys(f"{key}.{kind}", options, KIND_KEYS[kind], f"--path 'alertmanagerReceiverSecrets.{name}'")
        return None
    url = options.get("url")
    if url is not None and not _check_https(r, f"{key}.{kind}.url", url):
        return None
    channel = options.get("channel")
    if kind == "slack" and channel is not None and (not isinstance(channel, str) or not channel.strip()):
        r.problem(f"{key}.slack.channel", channel, 'expected a channel name such as "#trading-alerts"')
        return None
    email = _read_email(r, f"{key}.email", options) if kind == "email" else None
    if (kind == "email" and email is None) or secret is None:
        return None
    return Receiver(name, "", send_resolved, kind, url, channel, email, ca_pem, secret)


def _check_https(r: Reader, key: str, url: object) -> bool:
    # TLS verification is always on for receivers, so an override must be https.
    if isinstance(url, str) and url.startswith("http://"):
        r.problem(key, url, "receivers are always reached over verified TLS: expected an https:// URL")
        return False
    return check_url(r, key, url, ("https",))


def _read_secret(r: Reader, name: str, kind: str, raw: object) -> SecretValue | None:
    key = f"{SECRETS_KEY}.{name}"
    if kind == "webhook":
        if raw is not None:
            r.problem(
                key,
                SecretValue(str(raw)),
                "a webhook receiver takes no secret (its URL is in alertmanager.yml, "
                "which Alertmanager 0.25 cannot read from a file): remove it, and keep credentials out of the URL",
            )
        return None
    if raw is None or raw == "":
        r.problem(key, None, f"a {kind} receiver needs {SECRET_MEANING[kind]}: {receiver_secret_hint(name, kind)}")
        return None
    if not isinstance(raw, str) or raw != raw.strip() or "\n" in raw:
        r.problem(key, SecretValue(str(raw)), f"expected {SECRET_MEANING[kind]} as one line of text")
        return None
    if kind == "slack":
        parsed = urlparse(raw)
        if parsed.scheme != "https" or not parsed.hostname:
            r.problem(key, SecretValue(raw), "expected the Slack incoming-webhook URL (https://hooks.slack.com/...)")
            return None
    return SecretValue(raw)


def _read_email(r: Reader, key: str, options: dict[str, Any]) -> EmailSettings | None:
    to, sender, smarthost = options.get("to"), options.get("from"), options.get("smarthost")
    ok = True
    for field, value in (("to", to), ("from", sender)):
        if not isinstance(value, str) or not EMAIL.match(value):
            r.problem(f"{key}.{field}", value, "expected an e-mail address such as oncall@trading.example")
            ok = False
    if not isinstance(smarthost, str) or not HOST_PORT.match(smarthost):
        r.problem(
            f"{key}.smarthost",
            smarthost,
            'expected the SMTP server as host:port, e.g. "smtp.trading.example:587" (STARTTLS is required)',
        )
        ok = False
    username = options.get("username", sender)
    if not isinstance(username, str) or not username:
        r.problem(f"{key}.username", username, "expected the SMTP user name (default: the from address)")
        ok = False
    return EmailSettings(str(to), str(sender), str(smarthost), str(username)) if ok else None


def matcher_problem(text: object) -> str | None:
    """Why `text` is not an Alertmanager matcher, or None."""
    if not isinstance(text, str):
        return 'expected a matcher string such as severity="critical"'
    match = MATCHER.match(text)
    if not match:
        return 'expected a matcher such as severity="critical": a label, one of = != =~ !~, and a quoted value'
    if match.group(2) in ("=~", "!~"):
        value = match.group(3) if match.group(3) is not None else match.group(4)
        try:
            re.compile(value)
        except re.error as error:
            return f"the regular expression does not compile ({error})"
        if re.search(r"\(\?<?[=!]|\\[1-9]", value):
            # Python would take these; Alertmanager's RE2 refuses them at load time.
            return "Alertmanager's regular expressions (RE2) have no lookarounds or backreferences"
    return None


def canonical_matcher(text: str) -> str:
    """`label op "value"` with the value quoted: the form Alertmanager 0.28's UTF-8 matcher parser takes
    without falling back (and warning) to the classic one, which 0.25 parses the same."""
    match = MATCHER.match(text)
    if match is None:
        raise ValueError(text)
    name, op, quoted, bare = match.groups()
    value = quoted if quoted is not None else bare.replace("\\", "\\\\").replace('"', '\\"')
    return f'{name}{op}"{value}"'


def read_time_intervals(r: Reader) -> tuple[TimeInterval, ...]:
    raw = r.structured("timeIntervals", {}, dict)
    intervals: list[TimeInterval] = []
    for name, ranges in raw.items():
        key = f"timeIntervals.{name}"
        if not INTERVAL_NAME.match(name):
            r.problem("timeIntervals", name, "expected a time interval name of letters, digits, '_' or '-'")
            continue
        if not isinstance(ranges, list) or not ranges:
            r.problem(
                key,
                ranges,
                'expected a list of ranges like [{"weekdays": ["monday:friday"], "times": '
                '[{"startTime": "08:00", "endTime": "18:00"}], "location": "Europe/London"}]',
            )
            continue
        converted = [_read_range(r, f"{key}[{i}]", entry) for i, entry in enumerate(ranges)]
        if all(c is not None for c in converted):
            intervals.append(TimeInterval(name, tuple(c for c in converted if c is not None)))
    return tuple(intervals)


def _read_range(r: Reader, key: str, entry: object) -> dict[str, Any] | None:
    if not isinstance(entry, dict):
        r.problem(key, entry, f"expected an object with any of {', '.join(INTERVAL_KEYS)}")
        return None
    if set(entry) - set(INTERVAL_KEYS):
        r.unknown_keys(key, entry, INTERVAL_KEYS)
        return None
    out: dict[str, Any] = {}
    for field, value in entry.items():
        problem = _range_field_problem(field, value)
        if problem:
            r.problem(f"{key}.{field}", value, problem)
            return None
        out[INTERVAL_KEYS[field]] = (
            [{"start_time": t["startTime"], "end_time": t["endTime"]} for t in value] if field == "times" else value
        )
    return out


def _range_field_problem(field: str, value: Any) -> str | None:
    if field == "location":
        try:
            zoneinfo.ZoneInfo(str(value))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return 'expected an IANA time zone such as "Europe/London" or "America/New_York"'
        return None
    if not isinstance(value, list) or not value:
        return "expected a non-empty list"
    if field == "times":
        for t in value:
            if not (
                isinstance(t, dict)
                and set(t) == {"startTime", "endTime"}
                and all(isinstance(t[k], str) and CLOCK.match(t[k]) for k in t)
                and t["startTime"] < t["endTime"]
            ):
                return 'expected [{"startTime": "08:00", "endTime": "18:00"}] (HH:MM, start before end)'
        return None
    names = {"weekdays": WEEKDAYS, "months": MONTHS}.get(field)
    limits = {"daysOfMonth": (-31, 31), "months": (1, 12), "years": (1970, 9999)}.get(field)
    for item in value:
        parts = str(item).lower().split(":")
        if len(parts) > 2 or not all(_range_part_ok(p, names, limits) for p in parts):
            example = {
                "weekdays": '"monday:friday"',
                "months": '"january:march" or "1:3"',
                "daysOfMonth": '"1:7" or "-1"',
                "years": '"2026:2027"',
            }[field]
            return f"expected values or ranges such as {example}"
    return None


def _range_part_ok(part: str, names: tuple[str, ...] | None, limits: tuple[int, int] | None) -> bool:
    if names is not None and part in names:
        return True
    if limits is None:
        return False
    try:
        number = int(part)
    except ValueError:
        return False
    return limits[0] <= number <= limits[1] and number != 0


def read_routing(r: Reader, receivers: tuple[Receiver, ...], declared: tuple[str, ...]) -> AlertRouting:
    names = list(declared)
    intervals = read_time_intervals(r)
    interval_names = [i.name for i in intervals]
    default = _known_receiver(r, "alertDefaultReceiver", r.optional_string("alertDefaultReceiver"), names)
    if default is None:
        chat = [rc.name for rc in receivers if rc.kind in CHAT_KINDS]
        default = (chat or names or [DEFAULT_RECEIVER.name])[0]
    watchdog = _known_receiver(r, "watchdogReceiver", r.optional_string("watchdogReceiver"), names)
    raw = r.structured("alertRoutes", None, list)
    if raw is None:
        pagers = [rc.name for rc in receivers if rc.kind in PAGER_KINDS]
        routes: tuple[Route, ...] = (
            (Route(('severity="critical"',), pagers[0]),) if pagers and pagers[0] != default else ()
        )
    else:
        routes = tuple(
            route
            for i, entry in enumerate(raw)
            if (route := _read_route(r, f"alertRoutes[{i}]", entry, names, interval_names)) is not None
        )
    return AlertRouting(routes, default, watchdog, intervals)


def _known_receiver(r: Reader, key: str, name: object, names: list[str]) -> str | None:
    if name is None:
        return None
    if name not in names:
        r.problem(
            key,
            name,
            f"no receiver of that name in promshield:alertmanagerReceivers; expected one of {', '.join(names)}",
        )
        return None
    return str(name)


def _read_route(r: Reader, key: str, entry: object, names: list[str], interval_names: list[str]) -> Route | None:
    if not isinstance(entry, dict):
        r.problem(key, entry, 'expected objects like {"matchers": ["severity=\\"critical\\""], "receiver": "pager"}')
        return None
    if set(entry) - ROUTE_KEYS:
        r.unknown_keys(key, entry, ROUTE_KEYS)
        return None
    if entry.get("receiver") is None:
        r.problem(f"{key}.receiver", None, f"every route needs a receiver; expected one of {', '.join(names)}")
        ok = False
    else:
        ok = _known_receiver(r, f"{key}.receiver", entry.get("receiver"), names) is not None
    matchers = entry.get("matchers", [])
    if not isinstance(matchers, list):
        r.problem(f"{key}.matchers", matchers, 'expected a list of matchers such as ["severity=\\"critical\\""]')
        matchers, ok = [], False
    for matcher in matchers:
        problem = matcher_problem(matcher)
        if problem:
            r.problem(f"{key}.matchers", matcher, problem)
            ok = False
    carry_on = entry.get("continue", False)
    if not isinstance(carry_on, bool):
        r.problem(f"{key}.continue", carry_on, "expected true or false")
        ok = False
    lists: dict[str, tuple[str, ...]] = {}
    for field in ("activeTimeIntervals", "muteTimeIntervals"):
        values = entry.get(field, [])
        if not isinstance(values, list):
            r.problem(f"{key}.{field}", values, "expected a list of names from promshield:timeIntervals")
            ok = False
            continue
        for value in values:
            if value not in interval_names:
                known = ", ".join(interval_names) or "none is defined"
                r.problem(
                    f"{key}.{field}",
                    value,
                    f"no time interval of that name in promshield:timeIntervals "
                    f"(defined: {known}); add it there or fix the name",
                )
                ok = False
        lists[field] = tuple(map(str, values))
    if not ok:
        return None
    return Route(
        tuple(canonical_matcher(m) for m in matchers),
        str(entry["receiver"]),
        carry_on,
        lists.get("activeTimeIntervals", ()),
        lists.get("muteTimeIntervals", ()),
    )


# This service's config keys, declared once (components/stack/keys.py joins every service's).
KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(
        "silenceLimits",
        "object",
        model=SilenceLimits,
        description=(
            '{"maxBodyBytes": 4096, "perMinute": 6, "burst": 20, "snapshotInterval": "250ms"}: the proxy refuses a '
            "silence body over maxBodyBytes (413) and more than perMinute silences per credential (burst, then "
            "429); Alertmanager writes its silences to disk every snapshotInterval, so one acknowledged is on disk "
            "before a crash a second later."
        ),
    ),
    ConfigKey(
        "alertmanagerReceivers",
        "array",
        items="object",
        description=(
            'Receivers by type: {"name": "hook", "webhookUrl": "http://alert-receiver:4000/alerts"}, '
            '{"name": "pager", "pagerduty": {}}, {"name": "chat", "slack": {"channel": "#trading-alerts"}}, '
            '{"name": "ops-genie", "opsgenie": {}}, {"name": "mail", "email": {"to": "...", "from": "...", '
            '"smarthost": "smtp.example:587"}}; optional "url" (API endpoint override) inside pagerduty/opsgenie, '
            '"caPem" (a private CA to verify the receiver against) and "sendResolved". Credentials go in '
            "alertmanagerReceiverSecrets."
        ),
    ),
    ConfigKey(
        "alertmanagerReceiverSecrets",
        "object",
        secret=True,
        description=(
            "Each receiver's credential by receiver name (PagerDuty routing key, Slack webhook URL, Opsgenie API "
            "key, SMTP password): `pulumi config set --secret --path 'alertmanagerReceiverSecrets.pager' ...`. "
            "Reaches Alertmanager only as a 0400 file."
        ),
    ),
    ConfigKey(
        "alertRoutes",
        "array",
        items="object",
        description=(
            'Ordered routes: [{"matchers": ["severity=\\"critical\\""], "receiver": "pager", "continue": false, '
            '"activeTimeIntervals": [], "muteTimeIntervals": []}]. Default: critical to the first pagerduty/opsgenie '
            "receiver."
        ),
    ),
    ConfigKey(
        "alertDefaultReceiver",
        "string",
        description="Receiver of every alert no route takes. Default: the first slack or webhook receiver.",
    ),
    ConfigKey(
        "watchdogReceiver",
        "string",
        description=(
            "A dead-man's-switch receiver for the always-firing Watchdog alert. Default: none (a null receiver)."
        ),
    ),
    ConfigKey(
        "timeIntervals",
        "object",
        description=(
            'Named time intervals for routes: {"business-hours": [{"weekdays": ["monday:friday"], "times": '
            '[{"startTime": "08:00", "endTime": "18:00"}], "location": "Europe/London"}]}; also daysOfMonth, months, '
            "years."
        ),
    ),
    ConfigKey(
        "alertmanagerEgress",
        "boolean",
        default=False,
        description=(
            "Let Alertmanager reach its receivers outside the host: it joins the egress network, and the firewall "
            "grants it each receiver's address and port (an IP in its URL or smarthost, or the receiver's "
            '"egressCidrs": [...]; required for pagerduty, opsgenie and slack) and nothing else.'
        ),
    ),
)
DEFAULTS = defaults(KEYS)
