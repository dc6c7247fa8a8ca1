"""The role table: who may call which Prometheus and Alertmanager endpoints through the proxy.

This one table drives the NGINX authorization map, the unit tests and the roles
table. Anything not listed is denied to everyone (default deny). Paths are matched against
NGINX's normalized `$uri` and only when the raw request path is canonical (see proxy
rendering), so what is authorized is exactly what the backend receives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ADMIN = "admin"
OPS = "ops"
READ_ONLY = "read-only"
NO_ACCESS = "no-access"
ROLES = (ADMIN, OPS, READ_ONLY, NO_ACCESS)

READERS = frozenset({ADMIN, OPS, READ_ONLY})
OPERATORS = frozenset({ADMIN, OPS})
ADMINS = frozenset({ADMIN})

PROMETHEUS = "prometheus"
ALERTMANAGER = "alertmanager"
SERVICES = (PROMETHEUS, ALERTMANAGER)

READ = frozenset({"GET", "HEAD"})
QUERY = frozenset({"GET", "HEAD", "POST"})  # Grafana POSTs queries
CHANGE = frozenset({"POST", "PUT"})

# Feature switches a rule can depend on (settings decide which are on).
ADMIN_API = "admin_api"


@dataclass(frozen=True)
class Rule:
    service: str
    methods: frozenset[str]
    path: str  # anchored regular expression over the normalized path
    roles: frozenset[str]
    why: str
    requires: str | None = None  # a feature that must be enabled for the rule to exist


RULES: tuple[Rule, ...] = (
    # --- Prometheus: queries and metadata (read-only and up) ------------------------------
    Rule(
        PROMETHEUS,
        QUERY,
        r"/api/v1/(query|query_range|query_exemplars|series|labels|label/[A-Za-z0-9_.]+/values"
        r"|metadata|format_query|parse_query)",
        READERS,
        "queries and metadata (GET or POST)",
    ),
    Rule(
        PROMETHEUS,
        READ,
        r"/api/v1/(alerts|rules|targets|targets/metadata|scrape_pools|alertmanagers|notifications"
        r"|notifications/live|status/buildinfo)",
        READERS,
        "alerting and target state; `notifications/live` is the event stream every 3.x UI page opens",
    ),
    Rule(PROMETHEUS, READ, r"/-/(healthy|ready)", READERS, "health"),
    Rule(
        PROMETHEUS,
        READ,
        r"/(|graph|query|alerts|targets|rules|service-discovery|alertmanager-discovery"
        r"|favicon\.ico|favicon\.svg|manifest\.json)",
        READERS,
        "web UI pages (3.x: `/` and `/graph` redirect to `/query`)",
    ),
    Rule(
        PROMETHEUS,
        READ,
        r"/(graph/|classic/|classic/(graph|alerts|targets|rules|service-discovery))",
        READERS,
        "classic UI pages (Debian's 2.x: `/` and `/graph/` redirect to `/classic/graph`; 404 in 3.x)",
    ),
    Rule(PROMETHEUS, READ, r"/(static|assets|classic/static)/[A-Za-z0-9_./-]+", READERS, "web UI assets"),
    Rule(
        PROMETHEUS,
        READ,
        r"/consoles/[A-Za-z0-9_-]+\.html",
        READERS,
        "console pages (docs/dashboards.md): server-rendered, the API's budget",
    ),
    # --- Prometheus: sensitive reads (admin) ----------------------------------------------
    Rule(
        PROMETHEUS,
        READ,
        r"/api/v1/status/(config|flags|runtimeinfo|tsdb|tsdb/blocks|walreplay)",
        ADMINS,
        "config, flags and runtime details",
    ),
    Rule(
        PROMETHEUS,
        READ,
        r"/(config|flags|status|tsdb-status|classic/(config|flags|status))",
        ADMINS,
        "status and config pages (3.x and classic)",
    ),
    Rule(PROMETHEUS, READ, r"/debug/pprof/[A-Za-z0-9_/]*", ADMINS, "profiling"),
    Rule(PROMETHEUS, READ, r"/federate", ADMINS, "federation dumps every series"),
    Rule(PROMETHEUS, frozenset({"POST"}), r"/api/v1/read", ADMINS, "remote read is expensive"),
    # --- Prometheus: changes ----------------------------------------------------------------
    Rule(PROMETHEUS, CHANGE, r"/-/reload", OPERATORS, "reload the configuration"),
    Rule(
        PROMETHEUS,
        CHANGE,
        r"/api/v1/admin/tsdb/(delete_series|clean_tombstones|snapshot)",
        ADMINS,
        "TSDB admin API",
        requires=ADMIN_API,
    ),
    # --- Alertmanager: reads ----------------------------------------------------------------
    Rule(
        ALERTMANAGER,
        READ,
        r"/api/v2/(receivers|silences|silence/[0-9a-f-]{36}|alerts|alerts/groups)",
        READERS,
        "alerts, groups, silences",
    ),
    Rule(ALERTMANAGER, READ, r"/-/(healthy|ready)", READERS, "health"),
    Rule(ALERTMANAGER, READ, r"/(|script\.js|favicon\.ico|lib/[A-Za-z0-9_./-]+)", READERS, "web UI"),
    Rule(ALERTMANAGER, READ, r"/api/v2/status", ADMINS, "status includes the configuration"),
    Rule(ALERTMANAGER, READ, r"/debug/[A-Za-z0-9_/]*", ADMINS, "profiling"),
    # --- Alertmanager: changes --------------------------------------------------------------
    Rule(ALERTMANAGER, frozenset({"POST"}), r"/api/v2/silences", OPERATORS, "create or update a silence"),
    Rule(ALERTMANAGER, frozenset({"DELETE"}), r"/api/v2/silence/[0-9a-f-]{36}", OPERATORS, "expire a silence"),
    Rule(ALERTMANAGER, frozenset({"POST"}), r"/-/reload", ADMINS, "reload the configuration"),
    # Never through the proxy: POST /api/v2/alerts (only Prometheus sends alerts),
    # /-/quit, /api/v1/write, /api/v1/otlp/*: absent from the table, so denied to everyone.
)  # fmt: skip - one rule per line (or two) keeps the table readable as the role matrix


def active_rules(enabled_features: frozenset[str] = frozenset()) -> tuple[Rule, ...]:
    return tuple(rule for rule in RULES if rule.requires is None or rule.requires in enabled_features)


def is_allowed(role: str, service: str, method: str, path: str, enabled_features: frozenset[str] = frozenset()) -> bool:
    """The decision the proxy makes, in Python: for docs and unit tests of the table itself."""
    return any(
        rule.service == service
        and method in rule.methods
        and role in rule.roles
        and re.fullmatch(rule.path, path) is not None
        for rule in active_rules(enabled_features)
    )


def _alternation(values: frozenset[str]) -> str:
    return "|".join(re.escape(v) for v in sorted(values))


def nginx_authz_patterns(enabled_features: frozenset[str] = frozenset()) -> list[str]:
    """Regexes over "<service>:<role>:<method>:<path>" (anchors added by the template), one per rule."""
    return [
        f"{rule.service}:({_alternation(rule.roles)}):({_alternation(rule.methods)}):{rule.path}"
        for rule in active_rules(enabled_features)
    ]


def roles_table_markdown() -> str:
    """The table of what each role may do (README.md, docs/users-and-roles.md), generated from RULES."""
    lines = ["| service | methods | path | roles | why |", "|---|---|---|---|---|"]
    for rule in RULES:
        roles = ", ".join(r for r in ROLES if r in rule.roles)
        note = rule.why + (" (only when enableAdminApi)" if rule.requires else "")
        path = rule.path.replace("|", "\\|")
        lines.append(f"| {rule.service} | {' '.join(sorted(rule.methods))} | `{path}` | {roles} | {note} |")
    return "\n".join(lines)
