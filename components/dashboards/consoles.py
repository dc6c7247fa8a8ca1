"""The console consumer of the dashboards: Prometheus' own console pages (Go templates), no JavaScript.

Pure: dashboards in, `{relative path: text}` out, uploaded under Prometheus' config directory
(`consoles/`, `console_libraries/`, served at `/consoles/<page>.html` through the proxy for the reader
roles). One page per dashboard shows the current value of every panel's query (a variable matches every
value), the alerts of that page that fire now, and links every figure to its graph in the Prometheus UI;
`index.html` links every page. Values are formatted by the panel's unit with Prometheus' template
functions (`humanizeDuration`, `humanizePercentage`, ...); a query error is a template error, which
Prometheus answers with a 500 (the acceptance suite loads every page).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from urllib.parse import quote

from components.core import catalog
from components.dashboards.panels import BASIS_POINTS, BYTES, PER_SECOND, RATIO, SECONDS, STATE, Dashboard, Panel

CONSOLES_DIR = catalog.PROMETHEUS_CONSOLES_DIR
CONSOLE_LIBRARIES_DIR = catalog.PROMETHEUS_CONSOLE_LIBRARIES_DIR
INDEX = "index.html"
LIBRARY = "promshield.lib"
GRAPH_RANGE = "1h"
_VARIABLE = re.compile(r'=~"\$[a-z_]+"')

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 1.5rem 2rem; color: #1d2330; background: #f7f8fa; }
nav { padding: .6rem 0; border-bottom: 1px solid #d5d9e0; margin-bottom: 1rem; }
nav a { margin-right: 1rem; color: #1f60c4; text-decoration: none; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.05rem; margin: 0 0 .3rem; }
section { display: inline-block; vertical-align: top; width: 30rem; margin: 0 1rem 1rem 0; padding: .7rem;
  background: #fff; border: 1px solid #d5d9e0; border-radius: 4px; }
p.about { font-size: .8rem; color: #555d6b; margin: 0 0 .4rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
td, th { text-align: left; padding: .15rem .4rem; border-bottom: 1px solid #eef0f3; }
td.value { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td.value a { color: #c4162a; font-weight: bold; } tr.good td.value a { color: #37872d; }
td.none { color: #888; font-style: italic; }
.firing { color: #c4162a; } .calm { color: #37872d; }
"""


def console_expr(panel: Panel) -> str:
    """The panel's query with every variable matching every value (what the console shows)."""
    return _VARIABLE.sub('=~".*"', panel.expr)


def graph_href(expr: str) -> str:
    """The Prometheus UI's graph of `expr` (the link Prometheus' own `graphLink` makes), HTML-escaped."""
    query = f"g0.expr={quote(expr, safe='')}&g0.tab=0&g0.range_input={GRAPH_RANGE}"
    return html.escape(f"{{{{ pathPrefix }}}}/graph?{query}")


def _go_string(text: str) -> str:
    if "`" in text:
        raise ValueError(f"a console query cannot hold a backquote: {text!r}")
    return f"`{text}`"


def _go_float(value: float) -> str:
    return repr(float(value))


def _formatted(unit: str) -> str:
    """The Go template pipeline printing `.Value` in the panel's unit."""
    return {
        SECONDS: "{{ humanizeDuration .Value }}",
        RATIO: "{{ humanizePercentage .Value }}",
        BYTES: "{{ humanize1024 .Value }}B",
        PER_SECOND: '{{ printf "%.3g" .Value }}/s',
        BASIS_POINTS: '{{ printf "%.2f" .Value }} bp',
        STATE: "{{ if eq .Value 1.0 }}up{{ else }}down ({{ .Value }}){{ end }}",
    }.get(unit, "{{ humanize .Value }}")


def _row_class(panel: Panel) -> str:
    """` class="bad"` when the value is past the alert's threshold (or a state is down), else good."""
    if panel.unit == STATE:
        return '{{ if eq .Value 1.0 }} class="good"{{ else }} class="bad"{{ end }}'
    if panel.threshold is None:
        return ""
    compare = {">": "gt", ">=": "ge", "<": "lt", "<=": "le"}[panel.operator]
    test = f"{compare} .Value {_go_float(panel.threshold)}"
    return f'{{{{ if {test} }}}} class="bad"{{{{ else }}}} class="good"{{{{ end }}}}'


def render_panel(panel: Panel) -> str:
    expr = console_expr(panel)
    href = graph_href(expr)
    about = html.escape(panel.description)
    if panel.alert:
        about += f" Alert: <code>{panel.alert}</code>{html.escape(panel.bound)}."
    labels = panel.legend
    header = "".join(f"<th>{html.escape(label)}</th>" for label in labels)
    cells = "".join(f"<td>{{{{ .Labels.{label} }}}}</td>" for label in labels)
    sort = f' | sortByLabel "{labels[0]}"' if labels else ""
    return (
        f'<section>\n<h2><a href="{href}">{html.escape(panel.title)}</a></h2>\n<p class="about">{about}</p>\n'
        f"<table>\n<tr>{header}<th>now</th></tr>\n"
        f"{{{{ range query {_go_string(expr)}{sort} }}}}"
        f'<tr{_row_class(panel)}>{cells}<td class="value"><a href="{href}">{_formatted(panel.unit)}</a></td></tr>\n'
        f'{{{{ else }}}}<tr><td colspan="{len(labels) + 1}" class="none">no data</td></tr>{{{{ end }}}}\n'
        "</table>\n</section>\n"
    )


def _alerts_of(board: Dashboard) -> list[str]:
    return sorted({panel.alert for panel in board.panels if panel.alert})


def firing_alerts_query(board: Dashboard) -> str:
    return f'ALERTS{{alertstate="firing", alertname=~"{"|".join(_alerts_of(board))}"}}'


def render_page(board: Dashboard) -> str:
    firing = firing_alerts_query(board)
    return (
        f'{{{{ template "promshield.head" "{html.escape(board.title)}" }}}}\n'
        f"<h1>{html.escape(board.title)}</h1>\n<p>{html.escape(board.description)}</p>\n"
        f'<section>\n<h2><a href="{graph_href(firing)}">Firing alerts</a></h2>\n'
        f'<p class="about">The alerts about what this page shows: {", ".join(_alerts_of(board))}.</p>\n'
        "<table>\n"
        f'{{{{ range query {_go_string(firing)} | sortByLabel "alertname" }}}}'
        '<tr><td class="firing">{{ .Labels.alertname }}</td><td>{{ .Labels.severity }}</td>'
        "<td>{{ .Labels.instance }}{{ .Labels.venue }}{{ .Labels.redis_instance }}</td></tr>\n"
        '{{ else }}<tr><td class="calm">none firing</td></tr>{{ end }}\n</table>\n</section>\n'
        + "".join(render_panel(panel) for panel in board.panels)
        + '{{ template "promshield.tail" }}\n'
    )


def render_index(boards: Sequence[Dashboard]) -> str:
    rows = []
    for board in boards:
        count = f"count({firing_alerts_query(board)})"
        rows.append(
            f'<tr><td><a href="{{{{ pathPrefix }}}}/consoles/{board.service}.html">{html.escape(board.title)}</a></td>'
            f"<td>{html.escape(board.description)}</td>"
            f"<td>{{{{ with query {_go_string(count)} }}}}"
            '<span class="firing">{{ . | first | value }} firing</span>'
            '{{ else }}<span class="calm">none firing</span>{{ end }}</td></tr>\n'
        )
    return (
        '{{ template "promshield.head" "promshield consoles" }}\n<h1>promshield consoles</h1>\n'
        "<p>The current state of every service the stack watches, from the same panels as the Grafana "
        "dashboards. Every figure links to its graph.</p>\n"
        "<table>\n<tr><th>page</th><th>shows</th><th>alerts</th></tr>\n"
        + "".join(rows)
        + "</table>\n"
        + '{{ template "promshield.tail" }}\n'
    )


def render_library(boards: Sequence[Dashboard]) -> str:
    links = "".join(
        f'<a href="{{{{ pathPrefix }}}}/consoles/{board.service}.html">{html.escape(board.title)}</a>'
        for board in boards
    )
    return (
        "{{/* Generated by promshield (components/dashboards/consoles.py). */}}\n"
        '{{ define "promshield.head" }}<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        "<title>{{ . }} - promshield</title>\n"
        # no favicon request (Debian's 2.42 has none to serve: a 404 in the browser's log)
        '<link rel="icon" href="data:,">\n'
        "<style>" + STYLE + "</style>\n</head><body>\n"
        f'<nav><a href="{{{{ pathPrefix }}}}/consoles/{INDEX}">Consoles</a>{links}'
        '<a href="{{ pathPrefix }}/alerts">Alerts</a><a href="{{ pathPrefix }}/targets">Targets</a></nav>\n'
        "{{ end }}\n"
        '{{ define "promshield.tail" }}</body></html>{{ end }}\n'
    )


def render_console_files(boards: Sequence[Dashboard]) -> dict[str, str]:
    """Container path -> text of every console page and the library."""
    files = {f"{CONSOLES_DIR}/{INDEX}": render_index(boards)}
    files.update({f"{CONSOLES_DIR}/{board.service}.html": render_page(board) for board in boards})
    files[f"{CONSOLE_LIBRARIES_DIR}/{LIBRARY}"] = render_library(boards)
    return files
