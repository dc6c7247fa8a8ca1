"""The Grafana consumer of the dashboards: dashboard JSON (grafana-foundation-sdk) and a provisioning folder.

Pure: dashboards and the proxy's URL in, `{relative path: text}` out; `make render` (tools/render.py)
writes it to `build/<stack>/grafana/`. The datasource points a user's Grafana at the proxy with the
stack's dedicated read-only account (`GRAFANA_USER`); its password is never written: Grafana reads it
from the environment (`$__env{PROMSHIELD_GRAFANA_PASSWORD}`) and the stack CA from a file it is given
(`$__file{...}`), see docs/dashboards.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import yaml
from grafana_foundation_sdk.builders import common as common_builder
from grafana_foundation_sdk.builders import dashboard as dashboard_builder
from grafana_foundation_sdk.builders import prometheus as prometheus_builder
from grafana_foundation_sdk.builders import stat as stat_builder
from grafana_foundation_sdk.builders import timeseries as timeseries_builder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as common_model
from grafana_foundation_sdk.models import dashboard as dashboard_model

from components.dashboards.panels import STATE, Dashboard, Panel

GRAFANA_USER = "grafana"  # the stack's read-only account for Grafana (a user with role read-only)
DATASOURCE_UID = "promshield"
DATASOURCE_NAME = "promshield"
DATASOURCE_TYPE = "prometheus"
PASSWORD_ENV = "PROMSHIELD_GRAFANA_PASSWORD"  # nosec B105 - the variable's name, not a password
CA_FILE = "/etc/grafana/promshield/ca.crt"  # where the user puts the stack CA (pulumi stack output ca_certificate)
DASHBOARDS_DIR = "/var/lib/grafana/dashboards/promshield"  # where the provider reads the JSON files
FOLDER = "promshield"
PANEL_WIDTH = 12
PANEL_HEIGHT = 8
STAT_HEIGHT = 5
REFRESH = "30s"

DATASOURCE_REF = dashboard_model.DataSourceRef(type_val=DATASOURCE_TYPE, uid="${datasource}")


def _thresholds(panel: Panel) -> dashboard_builder.ThresholdsConfig:
    good, bad = "green", "red"
    if panel.threshold is None:
        steps = [dashboard_model.Threshold(value=None, color=good)]
    elif panel.above:
        steps = [dashboard_model.Threshold(value=None, color=good), dashboard_model.Threshold(panel.threshold, bad)]
    else:
        steps = [dashboard_model.Threshold(value=None, color=bad), dashboard_model.Threshold(panel.threshold, good)]
    return dashboard_builder.ThresholdsConfig().mode(dashboard_model.ThresholdsMode.ABSOLUTE).steps(steps)


def _description(panel: Panel) -> str:
    text = panel.description
    if panel.alert:
        text += f" Alert: {panel.alert}{panel.bound}."
    return text


def _query(panel: Panel) -> prometheus_builder.Dataquery:
    return (
        prometheus_builder.Dataquery()
        .expr(panel.expr)
        .legend_format(panel.legend_format)
        .ref_id("A")
        .datasource(DATASOURCE_REF)
    )


def grafana_panel(panel: Panel) -> stat_builder.Panel | timeseries_builder.Panel:
    if panel.stat or panel.unit == STATE:
        stat = (
            stat_builder.Panel()
            .title(panel.title)
            .description(_description(panel))
            .datasource(DATASOURCE_REF)
            .with_target(_query(panel).instant())
            .unit(panel.unit)
            .thresholds(_thresholds(panel) if panel.unit != STATE else _state_thresholds())
            .color_mode(common_model.BigValueColorMode.BACKGROUND)
            .graph_mode(common_model.BigValueGraphMode.NONE)
            .height(STAT_HEIGHT)
            .span(PANEL_WIDTH)
        )
        return stat
    series = (
        timeseries_builder.Panel()
        .title(panel.title)
        .description(_description(panel))
        .datasource(DATASOURCE_REF)
        .with_target(_query(panel))
        .unit(panel.unit)
        .thresholds(_thresholds(panel))
        .fill_opacity(10)
        .height(PANEL_HEIGHT)
        .span(PANEL_WIDTH)
    )
    if panel.threshold is not None:
        style = common_model.GraphThresholdsStyleMode.DASHED
        series = series.thresholds_style(common_builder.GraphThresholdsStyleConfig().mode(style))
    return series


def _state_thresholds() -> dashboard_builder.ThresholdsConfig:
    """0 (down) red, 1 (up) green."""
    steps = [dashboard_model.Threshold(value=None, color="red"), dashboard_model.Threshold(1, "green")]
    return dashboard_builder.ThresholdsConfig().mode(dashboard_model.ThresholdsMode.ABSOLUTE).steps(steps)


def grafana_dashboard(board: Dashboard) -> dict[str, object]:
    """One dashboard as Grafana's JSON model (a dict)."""
    builder = (
        dashboard_builder.Dashboard(board.title)
        .uid(board.uid)
        .description(board.description)
        .tags(["promshield", board.service])
        .time("now-1h", "now")
        .refresh(REFRESH)
        .readonly()
        .with_variable(
            dashboard_builder.DatasourceVariable("datasource")
            .label("Data source")
            .type(DATASOURCE_TYPE)
            .current(dashboard_model.VariableOption(text=DATASOURCE_NAME, value=DATASOURCE_UID, selected=True))
        )
    )
    for variable in board.variables:
        builder = builder.with_variable(
            dashboard_builder.QueryVariable(variable.name)
            .label(variable.name)
            .datasource(DATASOURCE_REF)
            .query(f"label_values({variable.series}, {variable.label})")
            .refresh(dashboard_model.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(dashboard_model.VariableSort.ALPHABETICAL_ASC)
            .multi(True)
            .include_all(True)
            .all_value(".*")
            .current(dashboard_model.VariableOption(text="All", value="$__all", selected=True))
        )
    for panel in board.panels:
        builder = builder.with_panel(grafana_panel(panel))
    model: dict[str, object] = json.loads(json.dumps(builder.build(), cls=JSONEncoder))
    return model


def provisioning_dashboards() -> str:
    """The dashboards provider: Grafana loads every JSON file of DASHBOARDS_DIR into the FOLDER folder."""
    provider = {
        "apiVersion": 1,
        "providers": [
            {
                "name": "promshield",
                "folder": FOLDER,
                "type": "file",
                "disableDeletion": True,
                "allowUiUpdates": False,
                "options": {"path": DASHBOARDS_DIR},
            }
        ],
    }
    return "# Generated by promshield (components/dashboards/grafana.py).\n" + yaml.safe_dump(provider, sort_keys=False)


def provisioning_datasource(prometheus_url: str) -> str:
    """The datasource: the proxy, as the read-only account; password and CA read by Grafana at start."""
    datasource = {
        "apiVersion": 1,
        "datasources": [
            {
                "name": DATASOURCE_NAME,
                "uid": DATASOURCE_UID,
                "type": DATASOURCE_TYPE,
                "access": "proxy",
                "url": prometheus_url.rstrip("/"),
                "basicAuth": True,
                "basicAuthUser": GRAFANA_USER,
                "isDefault": False,
                "editable": False,
                "jsonData": {
                    "httpMethod": "POST",
                    "tlsAuthWithCACert": True,
                    "timeInterval": "5s",
                },
                "secureJsonData": {
                    "basicAuthPassword": f"$__env{{{PASSWORD_ENV}}}",
                    "tlsCACert": f"$__file{{{CA_FILE}}}",
                },
            }
        ],
    }
    return (
        "# Generated by promshield (components/dashboards/grafana.py). No secret here: Grafana reads the\n"
        f"# password of '{GRAFANA_USER}' from ${PASSWORD_ENV} and the stack CA from {CA_FILE} (docs/dashboards.md).\n"
        + yaml.safe_dump(datasource, sort_keys=False)
    )


def render_grafana_files(boards: Sequence[Dashboard], prometheus_url: str) -> dict[str, str]:
    """Relative path -> text: `dashboards/<uid>.json` and `provisioning/{dashboards,datasources}/promshield.yaml`."""
    files = {
        f"dashboards/{board.uid}.json": json.dumps(grafana_dashboard(board), indent=2, sort_keys=True) + "\n"
        for board in boards
    }
    files["provisioning/dashboards/promshield.yaml"] = provisioning_dashboards()
    files["provisioning/datasources/promshield.yaml"] = provisioning_datasource(prometheus_url)
    return files
