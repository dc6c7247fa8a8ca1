"""The role matrix the proxy must enforce, written out by hand.

Deliberately NOT generated from `components/proxy/rbac.py` (the table the proxy is rendered from):
a wrong rule there must make a case here fail. Each case is (role, method, service, path,
expected) where expected is

- an HTTP status: what the client must get. 403 additionally means the proxy's own deny
  answer (its JSON body), never a backend's;
- `FWD` where the backend's own status differs between the pinned image and Debian's
  stand-in (e.g. Prometheus 3's React UI pages are 404 in Debian's classic-UI-only 2.42):
  the proxy must forward the request (no 401, no proxy 403, no 429), whatever the backend says.

Placeholders: `{sid}` is a silence created for the matrix; `{fresh}` is a new silence created
right before the case (each expiry needs its own). `QUERY`, `SILENCE` and `ALERTS` name the
request bodies in `BODIES`.
"""

from __future__ import annotations

FWD = "forwarded"
P = "prometheus"
A = "alertmanager"

ADMIN, OPS, RO, NONE = "admin", "ops", "read-only", "no-access"

# (role, method, service, path, expected[, body name])
MATRIX: list[tuple[str, str, str, str, int | str] | tuple[str, str, str, str, int | str, str]] = [
    # --- Prometheus: queries and metadata: every reader, GET and POST (Grafana posts queries) --
    (RO, "GET", P, "/api/v1/query?query=up", 200),
    (RO, "POST", P, "/api/v1/query", 200, "QUERY"),
    (OPS, "GET", P, "/api/v1/query?query=up", 200),
    (OPS, "POST", P, "/api/v1/query", 200, "QUERY"),
    (ADMIN, "GET", P, "/api/v1/query?query=up", 200),
    (ADMIN, "POST", P, "/api/v1/query", 200, "QUERY"),
    (NONE, "GET", P, "/api/v1/query?query=up", 403),
    (NONE, "POST", P, "/api/v1/query", 403, "QUERY"),
    (RO, "GET", P, "/api/v1/query_range?query=up&start=1700000000&end=1700000100&step=15", 200),
    (RO, "POST", P, "/api/v1/query_range", 200, "RANGE"),
    (NONE, "GET", P, "/api/v1/query_range?query=up&start=1700000000&end=1700000100&step=15", 403),
    (RO, "GET", P, "/api/v1/query_exemplars?query=up&start=1700000000&end=1700000100", 200),
    (RO, "GET", P, "/api/v1/series?match[]=up", 200),
    (RO, "POST", P, "/api/v1/series", 200, "SERIES"),
    (NONE, "GET", P, "/api/v1/series?match[]=up", 403),
    (RO, "GET", P, "/api/v1/labels", 200),
    (OPS, "GET", P, "/api/v1/labels", 200),
    (NONE, "GET", P, "/api/v1/labels", 403),
    (RO, "GET", P, "/api/v1/label/job/values", 200),
    (NONE, "GET", P, "/api/v1/label/job/values", 403),
    (RO, "GET", P, "/api/v1/metadata", 200),
    (RO, "GET", P, "/api/v1/format_query?query=up", 200),
    (RO, "PUT", P, "/api/v1/query?query=up", 403),
    (RO, "DELETE", P, "/api/v1/series?match[]=up", 403),
    (ADMIN, "DELETE", P, "/api/v1/series?match[]=up", 403),
    # --- Prometheus: alerting and target state -----------------------------------------------
    (RO, "GET", P, "/api/v1/alerts", 200),
    (RO, "GET", P, "/api/v1/rules", 200),
    (RO, "GET", P, "/api/v1/targets", 200),
    (RO, "GET", P, "/api/v1/targets/metadata", 200),
    (RO, "GET", P, "/api/v1/scrape_pools", 200),
    (RO, "GET", P, "/api/v1/alertmanagers", 200),
    (RO, "GET", P, "/api/v1/status/buildinfo", 200),
    (OPS, "GET", P, "/api/v1/targets", 200),
    (OPS, "GET", P, "/api/v1/rules", 200),
    (ADMIN, "GET", P, "/api/v1/alerts", 200),
    (NONE, "GET", P, "/api/v1/targets", 403),
    (NONE, "GET", P, "/api/v1/alerts", 403),
    (NONE, "GET", P, "/api/v1/rules", 403),
    (RO, "POST", P, "/api/v1/targets", 403),
    (RO, "GET", P, "/api/v1/targets?x=../../status/config", 200),  # the query string is not the path
    # --- Prometheus: health and UI --------------------------------------------------------------
    (RO, "GET", P, "/-/healthy", 200),
    (RO, "HEAD", P, "/-/healthy", 200),
    (RO, "GET", P, "/-/ready", 200),
    (OPS, "GET", P, "/-/ready", 200),
    (NONE, "GET", P, "/-/healthy", 403),
    (NONE, "GET", P, "/-/ready", 403),
    (RO, "GET", P, "/", 302),
    (OPS, "GET", P, "/", 302),
    (ADMIN, "GET", P, "/", 302),
    (NONE, "GET", P, "/", 403),
    (RO, "GET", P, "/graph", FWD),  # 3.x: 302 to /query; Debian's 2.42: 301 to /graph/
    (ADMIN, "GET", P, "/graph", FWD),
    (NONE, "GET", P, "/graph", 403),
    (RO, "GET", P, "/graph/", FWD),  # Debian's 2.42: 302 to /classic/graph
    (NONE, "GET", P, "/graph/", 403),
    # The classic UI (Debian's 2.42 has no other; 404 in 3.x): pages for readers, status for admin.
    (RO, "GET", P, "/classic/graph", FWD),
    (OPS, "GET", P, "/classic/graph", FWD),
    (ADMIN, "GET", P, "/classic/graph", FWD),
    (NONE, "GET", P, "/classic/graph", 403),
    (RO, "GET", P, "/classic/", FWD),
    (RO, "GET", P, "/classic/alerts", FWD),
    (RO, "GET", P, "/classic/targets", FWD),
    (RO, "GET", P, "/classic/rules", FWD),
    (RO, "GET", P, "/classic/service-discovery", FWD),
    (NONE, "GET", P, "/classic/targets", 403),
    (RO, "GET", P, "/classic/static/js/graph/index.js", FWD),
    (NONE, "GET", P, "/classic/static/js/graph/index.js", 403),
    (ADMIN, "GET", P, "/classic/config", FWD),
    (ADMIN, "GET", P, "/classic/status", FWD),
    (OPS, "GET", P, "/classic/config", 403),
    (RO, "GET", P, "/classic/config", 403),
    (RO, "GET", P, "/classic/flags", 403),
    (RO, "GET", P, "/classic/status", 403),
    (RO, "GET", P, "/classic/graph/x", 403),
    # Prometheus 3.x's UI (404 in Debian's 2.42): pages, assets, the notification stream.
    (RO, "GET", P, "/query", FWD),
    (OPS, "GET", P, "/query", FWD),
    (NONE, "GET", P, "/query", 403),
    (RO, "GET", P, "/alerts", FWD),
    (RO, "GET", P, "/targets", FWD),
    (RO, "GET", P, "/rules", FWD),
    (RO, "GET", P, "/service-discovery", FWD),
    (RO, "GET", P, "/alertmanager-discovery", FWD),
    (RO, "GET", P, "/assets/index.js", FWD),
    (NONE, "GET", P, "/assets/index.js", 403),
    (RO, "GET", P, "/favicon.svg", FWD),
    (RO, "GET", P, "/api/v1/notifications", FWD),
    (RO, "GET", P, "/api/v1/notifications/live", FWD),
    (NONE, "GET", P, "/api/v1/notifications/live", 403),
    (RO, "GET", P, "/tsdb-status", 403),
    # --- Prometheus: console pages (docs/dashboards.md): the readers, GET only, .html pages only ---
    (RO, "GET", P, "/consoles/index.html", 200),
    (OPS, "GET", P, "/consoles/trading.html", 200),
    (ADMIN, "GET", P, "/consoles/stack.html", 200),
    (NONE, "GET", P, "/consoles/index.html", 403),
    (RO, "POST", P, "/consoles/index.html", 403),
    (RO, "GET", P, "/consoles/", 403),
    (RO, "GET", P, "/console_libraries/promshield.lib", 403),
    # --- Prometheus: status, config, flags, profiling, federation: admin only --------------------
    (ADMIN, "GET", P, "/api/v1/status/config", 200),
    (OPS, "GET", P, "/api/v1/status/config", 403),
    (RO, "GET", P, "/api/v1/status/config", 403),
    (NONE, "GET", P, "/api/v1/status/config", 403),
    (ADMIN, "GET", P, "/api/v1/status/flags", 200),
    (OPS, "GET", P, "/api/v1/status/flags", 403),
    (RO, "GET", P, "/api/v1/status/flags", 403),
    (ADMIN, "GET", P, "/api/v1/status/runtimeinfo", 200),
    (RO, "GET", P, "/api/v1/status/runtimeinfo", 403),
    (ADMIN, "GET", P, "/api/v1/status/tsdb", 200),
    (OPS, "GET", P, "/api/v1/status/tsdb", 403),
    (ADMIN, "GET", P, "/api/v1/status/walreplay", 200),
    (RO, "GET", P, "/api/v1/status/walreplay", 403),
    (ADMIN, "GET", P, "/config", FWD),
    (OPS, "GET", P, "/config", 403),
    (RO, "GET", P, "/config", 403),
    (ADMIN, "GET", P, "/flags", FWD),
    (RO, "GET", P, "/flags", 403),
    (RO, "GET", P, "/status", 403),
    (OPS, "GET", P, "/tsdb-status", 403),
    (ADMIN, "GET", P, "/debug/pprof/cmdline", 200),
    (OPS, "GET", P, "/debug/pprof/", 403),
    (RO, "GET", P, "/debug/pprof/heap", 403),
    (ADMIN, "GET", P, "/federate?match[]=up", 200),
    (OPS, "GET", P, "/federate?match[]=up", 403),
    (RO, "GET", P, "/federate?match[]=up", 403),
    (ADMIN, "POST", P, "/api/v1/read", 400),  # forwarded; Prometheus rejects the empty snappy body
    (RO, "POST", P, "/api/v1/read", 403),
    # --- Prometheus: changes ----------------------------------------------------------------------
    (OPS, "POST", P, "/-/reload", 200),
    (OPS, "PUT", P, "/-/reload", 200),
    (ADMIN, "POST", P, "/-/reload", 200),
    (RO, "POST", P, "/-/reload", 403),
    (RO, "PUT", P, "/-/reload", 403),
    (NONE, "POST", P, "/-/reload", 403),
    (RO, "GET", P, "/-/reload", 403),
    (ADMIN, "POST", P, "/-/quit", 403),  # never through the proxy (it would stop Prometheus)
    (OPS, "POST", P, "/-/quit", 403),
    (OPS, "PUT", P, "/-/quit", 403),
    # Admin TSDB API: not enabled in this stack, so refused to everyone.
    (ADMIN, "POST", P, "/api/v1/admin/tsdb/snapshot", 403),
    (OPS, "POST", P, "/api/v1/admin/tsdb/snapshot", 403),
    (RO, "POST", P, "/api/v1/admin/tsdb/snapshot", 403),
    (ADMIN, "POST", P, "/api/v1/admin/tsdb/delete_series?match[]=up", 403),
    (OPS, "POST", P, "/api/v1/admin/tsdb/delete_series?match[]=up", 403),
    (RO, "POST", P, "/api/v1/admin/tsdb/delete_series?match[]=up", 403),
    (ADMIN, "PUT", P, "/api/v1/admin/tsdb/clean_tombstones", 403),
    (RO, "POST", P, "/api/v1/admin/tsdb/clean_tombstones", 403),
    (ADMIN, "POST", P, "/api/v1/write", 403),
    (ADMIN, "POST", P, "/api/v1/otlp/v1/metrics", 403),
    (ADMIN, "GET", P, "/nothing-here", 403),  # default deny, admin included
    # --- Prometheus: paths that are not canonical are refused (what is authorized is what the
    #     backend receives) -----------------------------------------------------------------------
    (RO, "GET", P, "/api/v1/query/../status/config", 403),
    (RO, "GET", P, "//api/v1/status/config", 403),
    (RO, "GET", P, "/api/v1/%73tatus/config", 403),
    (ADMIN, "GET", P, "/api/v1/%71uery?query=up", 403),
    (RO, "GET", P, "/API/V1/QUERY?query=up", 403),
    (RO, "GET", P, "/api/v1/query/?query=up", 403),
    (ADMIN, "GET", P, "/api/v1/status/config;x=1", 403),
    (RO, "GET", P, "/./api/v1/query?query=up", 403),
    # --- Alertmanager: reads ------------------------------------------------------------------------
    (RO, "GET", A, "/api/v2/alerts", 200),
    (RO, "GET", A, "/api/v2/alerts/groups", 200),
    (RO, "GET", A, "/api/v2/silences", 200),
    (RO, "GET", A, "/api/v2/silence/{sid}", 200),
    (RO, "GET", A, "/api/v2/receivers", 200),
    (OPS, "GET", A, "/api/v2/alerts", 200),
    (OPS, "GET", A, "/api/v2/receivers", 200),
    (ADMIN, "GET", A, "/api/v2/silences", 200),
    (NONE, "GET", A, "/api/v2/alerts", 403),
    (NONE, "GET", A, "/api/v2/silences", 403),
    (NONE, "GET", A, "/api/v2/silence/{sid}", 403),
    (RO, "GET", A, "/-/healthy", 200),
    (RO, "HEAD", A, "/-/healthy", 200),
    (RO, "GET", A, "/-/ready", 200),
    (NONE, "GET", A, "/-/ready", 403),
    (RO, "GET", A, "/", 200),
    (RO, "GET", A, "/favicon.ico", 200),
    (RO, "GET", A, "/script.js", FWD),
    (NONE, "GET", A, "/", 403),
    (NONE, "GET", A, "/favicon.ico", 403),
    # --- Alertmanager: status (holds the configuration) and profiling: admin only ------------------
    (ADMIN, "GET", A, "/api/v2/status", 200),
    (OPS, "GET", A, "/api/v2/status", 403),
    (RO, "GET", A, "/api/v2/status", 403),
    (NONE, "GET", A, "/api/v2/status", 403),
    (ADMIN, "GET", A, "/debug/pprof/", 200),
    (OPS, "GET", A, "/debug/pprof/", 403),
    (RO, "GET", A, "/debug/pprof/heap", 403),
    # --- Alertmanager: silences: ops and admin create and expire them ------------------------------
    (OPS, "POST", A, "/api/v2/silences", 200, "SILENCE"),
    (ADMIN, "POST", A, "/api/v2/silences", 200, "SILENCE"),
    (RO, "POST", A, "/api/v2/silences", 403, "SILENCE"),
    (NONE, "POST", A, "/api/v2/silences", 403, "SILENCE"),
    (OPS, "DELETE", A, "/api/v2/silence/{fresh}", 200),
    (ADMIN, "DELETE", A, "/api/v2/silence/{fresh}", 200),
    (RO, "DELETE", A, "/api/v2/silence/{sid}", 403),
    (NONE, "DELETE", A, "/api/v2/silence/{sid}", 403),
    (OPS, "PUT", A, "/api/v2/silences", 403, "SILENCE"),
    (RO, "POST", A, "/api/v2/silence/{sid}", 403),
    (ADMIN, "DELETE", A, "/api/v2/silences", 403),
    # --- Alertmanager: nobody posts alerts through the proxy (only Prometheus sends them) ----------
    (ADMIN, "POST", A, "/api/v2/alerts", 403, "ALERTS"),
    (OPS, "POST", A, "/api/v2/alerts", 403, "ALERTS"),
    (RO, "POST", A, "/api/v2/alerts", 403, "ALERTS"),
    (NONE, "POST", A, "/api/v2/alerts", 403, "ALERTS"),
    (ADMIN, "POST", A, "/api/v1/alerts", 403, "ALERTS"),
    (ADMIN, "GET", A, "/api/v1/alerts", 403),  # the old v1 API (still in Debian's 0.25)
    (RO, "GET", A, "/api/v1/silences", 403),
    # --- Alertmanager: reload (admin) and quit (nobody) -----------------------------------------------
    (ADMIN, "POST", A, "/-/reload", 200),
    (OPS, "POST", A, "/-/reload", 403),
    (RO, "POST", A, "/-/reload", 403),
    (ADMIN, "POST", A, "/-/quit", 403),
    (OPS, "POST", A, "/-/quit", 403),
    # --- Alertmanager: non-canonical or malformed paths ----------------------------------------------
    (RO, "GET", A, "/api/v2/silence/../status", 403),
    (RO, "GET", A, "/api/v2//alerts", 403),
    (RO, "GET", A, "/api/v2/silence/not-a-silence-id", 403),
    (ADMIN, "GET", A, "/api/v2/%73tatus", 403),
]
