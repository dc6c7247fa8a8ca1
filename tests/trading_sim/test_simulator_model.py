"""The simulator's model against the rules' default thresholds (components/prometheus/rules/thresholds.py).

A quiet day is scraped every 5 s for 20 simulated minutes and evaluated the way the recording and
alert rules read it (rates over 5m with counter resets, histogram_quantile, changes/increase over
15m): nothing crosses a threshold. Each scenario then makes exactly its own alert's expression
cross its threshold within half a minute and leaves the others below theirs.
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import pytest
import trading_sim_app as ts  # loaded by conftest.py

from components.prometheus.rules.thresholds import AlertThresholds

T = AlertThresholds()
SCRAPE = 5.0
RATE_WINDOW = 300.0
RESTART_WINDOW = 900.0
CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "metrics-contract.md"
SAMPLE = re.compile(r"^(?P<name>[a-z_:]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")

Series = dict[str, list[tuple[float, float]]]  # series text -> (time, value)


def parse(text: str) -> dict[str, float]:
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            match = SAMPLE.match(line)
            assert match, line
            samples[f"{match['name']}{{{match['labels'] or ''}}}"] = float(match["value"])
    return samples


class Recorder:
    """A tiny TSDB of both endpoints' scrapes, every SCRAPE seconds."""

    def __init__(self, start: float = 1_700_000_000.0, seed: int = 7) -> None:
        self.sim = ts.Simulation(start, seed=seed)
        self.now = start
        self.series: Series = {}

    def run(self, seconds: float) -> None:
        end = self.now + seconds
        while self.now < end:
            self.now += SCRAPE
            scraped = {
                **parse(self.sim.render_instance_manager(self.now)),
                **parse(self.sim.render_trade_engine(self.now)),
            }
            for key, value in scraped.items():
                self.series.setdefault(key, []).append((self.now, value))

    def window(self, key: str, seconds: float) -> list[tuple[float, float]]:
        return [(t, v) for t, v in self.series[key] if t > self.now - seconds]

    def increase(self, key: str, seconds: float) -> float:
        points = self.window(key, seconds)
        total = 0.0
        for (_, before), (_, after) in itertools.pairwise(points):
            total += after - before if after >= before else after  # a counter reset
        return total

    def rate(self, key: str, seconds: float = RATE_WINDOW) -> float:
        """Prometheus' rate(): extrapolated half an interval past the samples, divided by the window."""
        points = self.window(key, seconds)
        sampled = points[-1][0] - points[0][0]
        covered = min(seconds, sampled + sampled / (len(points) - 1))
        return self.increase(key, seconds) * covered / sampled / seconds

    def changes(self, key: str, seconds: float) -> int:
        values = [v for _, v in self.window(key, seconds)]
        return sum(1 for a, b in itertools.pairwise(values) if a != b)

    def latest(self, key: str) -> float:
        return self.series[key][-1][1]

    # --- the rules' expressions, per venue or for the one Instance Manager ----------------------
    def latency_p99(self, venue: str) -> float:
        buckets = sorted(
            (math.inf if le == "+Inf" else float(le), self.rate(key))
            for key in self.series
            if key.startswith("trade_execution_latency_seconds_bucket{")
            and f'venue="{venue}"' in key
            and (le := key.rsplit('le="', 1)[1].rstrip('"}'))
        )
        total = buckets[-1][1]
        rank, below, lower = 0.99 * total, 0.0, 0.0
        for bound, count in buckets:
            if count >= rank:
                return bound if bound == math.inf else lower + (bound - lower) * (rank - below) / (count - below)
            below, lower = count, bound
        return math.inf

    def slippage_bps(self, venue: str) -> float:
        labels = f'{{venue="{venue}"}}'
        return 10000 * self.rate(f"trade_slippage_ratio_sum{labels}") / self.rate(f"trade_slippage_ratio_count{labels}")

    def failure_ratio(self, venue: str) -> float:
        failed = sum(self.rate(k) for k in self.series if k.startswith("trades_failed_total{") and venue in k)
        executed = self.rate(f'trades_executed_total{{venue="{venue}"}}')
        return failed / (failed + executed)

    def alert_values(self) -> dict[str, tuple[float, float]]:
        """Alert -> (its expression's value, the default threshold it fires above or at)."""
        values = {
            "InstanceManagerRestarting": (
                self.changes("process_start_time_seconds{}", RESTART_WINDOW),
                T.instance_manager_restarts - 0.5,
            ),
            "InstanceManagerInstancesRestarting": (
                self.increase("instance_manager_instance_restarts_total{}", RESTART_WINDOW),
                T.managed_instance_restarts - 0.001,
            ),
            "InstanceManagerInstancesFailed": (self.latest('instance_manager_instances{state="failed"}'), 0.0),
            "InstanceManagerCpuHigh": (
                self.rate("process_cpu_seconds_total{}") / self.latest("instance_manager_cpu_limit_cores{}"),
                T.instance_manager_cpu_ratio,
            ),
            "InstanceManagerMemoryHigh": (
                self.latest("process_resident_memory_bytes{}") / self.latest("instance_manager_memory_limit_bytes{}"),
                T.instance_manager_memory_ratio,
            ),
        }
        for venue in ts.VENUES:
            values[f"TradeExecutionLatencyHigh/{venue}"] = (self.latency_p99(venue), T.trade_latency_p99_seconds)
            values[f"TradeSlippageHigh/{venue}"] = (self.slippage_bps(venue), T.slippage_bps)
            values[f"TradeFailureRatioHigh/{venue}"] = (self.failure_ratio(venue), T.trade_failure_ratio)
        return values

    def firing(self) -> set[str]:
        return {name for name, (value, threshold) in self.alert_values().items() if value > threshold}


@pytest.fixture(scope="module")
def quiet_day() -> Recorder:
    recorder = Recorder()
    recorder.run(20 * 60)
    return recorder


def test_the_endpoints_expose_the_metrics_contract() -> None:
    sim = ts.Simulation(1_700_000_000.0, seed=1)
    exposed = {
        key.split("{")[0].removesuffix("_bucket").removesuffix("_sum").removesuffix("_count")
        for key in {
            **parse(sim.render_instance_manager(1_700_000_005.0)),
            **parse(sim.render_trade_engine(1_700_000_005.0)),
        }
    }
    contract = CONTRACT.read_text()
    sections = [contract.split("## Trade Engine", 1)[1].split("## Redis", 1)[0]]
    promised = {name for section in sections for name in re.findall(r"^\| `([a-z_]+)` \|", section, re.M)} - {"up"}
    assert promised and promised <= exposed, promised - exposed
    samples = parse(sim.render_instance_manager(1_700_000_010.0))
    # every state, 0 included; the limit gauges without labels (the ratio divides identical label sets)
    assert {k for k in samples if k.startswith("instance_manager_instances{")} == {
        f'instance_manager_instances{{state="{s}"}}' for s in ts.INSTANCE_STATES
    }
    assert "instance_manager_cpu_limit_cores{}" in samples and "instance_manager_memory_limit_bytes{}" in samples
    trades = parse(sim.render_trade_engine(1_700_000_010.0))
    for venue in ts.VENUES:  # the failure counters exist from the start, per venue and reason
        assert all(f'trades_failed_total{{venue="{venue}",reason="{r}"}}' in trades for r in ts.FAILURE_REASONS)


def test_a_quiet_day_moves_but_fires_nothing(quiet_day: Recorder) -> None:
    assert quiet_day.firing() == set(), quiet_day.alert_values()
    rss = [v for _, v in quiet_day.series["process_resident_memory_bytes{}"]]
    latency = [quiet_day.latency_p99(v) for v in ts.VENUES]
    assert max(rss) - min(rss) > 10 * 1024 * 1024, "memory moves"
    assert len(set(latency)) == len(latency) and all(0.01 < p < T.trade_latency_p99_seconds for p in latency)
    assert 0 < quiet_day.slippage_bps("xnys") < T.slippage_bps
    assert quiet_day.increase("instance_manager_instance_restarts_total{}", 20 * 60) >= 1, "a routine restart"


def expected(scenario: str) -> set[str]:
    if scenario.startswith("Trade"):
        return {f"{scenario}/{ts.SCENARIO_VENUE}"}
    return {scenario}


@pytest.mark.parametrize("scenario", [s for s in ts.SCENARIOS if s != "InstanceManagerDown"])
def test_each_scenario_fires_its_own_alert_within_half_a_minute(scenario: str) -> None:
    recorder = Recorder(seed=11)
    recorder.run(10 * 60)
    recorder.sim.fire([scenario])
    recorder.run(30)
    assert recorder.firing() == expected(scenario), recorder.alert_values()
    recorder.sim.calm([scenario])
    recorder.run(16 * 60)  # the rules' longest window, 15m, has forgotten it
    assert recorder.firing() == set(), recorder.alert_values()


def test_the_cpu_scenario_fires_on_a_young_series_too() -> None:
    """A stack a minute old: its 5m rate covers a minute and reads lower; the quota follows it."""
    recorder = Recorder(seed=3)
    recorder.run(60)
    recorder.sim.fire(["InstanceManagerCpuHigh", "InstanceManagerRestarting"])
    recorder.run(10)
    assert {"InstanceManagerCpuHigh"} <= recorder.firing(), recorder.alert_values()


def test_every_scenario_at_once_fires_every_alert() -> None:
    """The acceptance suite switches them on together (InstanceManagerDown aside: it hides the rest)."""
    recorder = Recorder(seed=5)
    recorder.run(10 * 60)
    scenarios = [s for s in ts.SCENARIOS if s != "InstanceManagerDown"]
    recorder.sim.fire(scenarios)
    recorder.run(30)
    assert recorder.firing() == set().union(*map(expected, scenarios)), recorder.alert_values()


def test_unknown_scenarios_are_refused() -> None:
    sim = ts.Simulation(0.0)
    with pytest.raises(KeyError, match="unknown scenario"):
        sim.fire(["NoSuchAlert"])
    assert sim.active == set()


def test_the_default_config_path_is_the_rendered_one() -> None:
    from components.trading_sim.render import CONFIG_FILE

    assert ts.DEFAULT_CONFIG == CONFIG_FILE


def test_every_scenario_is_an_instance_manager_or_trade_engine_alert() -> None:
    from components.prometheus.rules.trading import instance_manager_alerts, trade_engine_alerts

    alerts = {a.name for a in (*trade_engine_alerts(T), *instance_manager_alerts(T))}
    assert set(ts.SCENARIOS) == alerts
