"""Measure the scrape gap of a one-line rule change: replaced (the old behaviour) vs reloaded.

    sudo PROMSHIELD_HARNESS_PREFIX=pi .venv/bin/python -m bench.reload_gap [--rounds 3]

Starts the acceptance stack (harness), then changes one alert threshold (one
line of one rule file) `--rounds` times each way and, for each change, reads Prometheus' own
`up{job="prometheus"}` raw samples around it: the largest interval between two consecutive scrapes,
and "seconds without scrapes" = that interval minus the scrape interval (0 when no scrape was
missed).

- **reloaded**: the program as it is: the carrier is replaced, the reload command runs (`pulumi up`
  as `deploy.update` does it);
- **replaced**: the program before reloads, emulated on the same recorded resources: the service
  container also carries the files' digest as its `io.promshield.config-sha256` label (so the
  harness, like the provider, replaces it, delete-before-replace) and has no reload command.

Writes `build/reload-gap.json` and prints a table. Not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import statistics
import time
from typing import Any

from components.core import catalog
from harness.paths import REPO_ROOT
from harness.stack import AcceptanceStack, wait_until
from testing.mock_stack import CONTAINER, Registered, run_program
from tools import cli

SCRAPE_INTERVAL = 5.0
THRESHOLDS = (0.06, 0.07, 0.08, 0.09, 0.10, 0.11, 0.12, 0.13)


def as_before_reloads(resources: list[Registered], digest_label: str) -> list[Registered]:
    """The resources the program registered before reloads existed: Prometheus' container carries
    the files' digest (taken from its reload command's trigger) and there is no reload command."""
    name = catalog.container_name("acceptance", catalog.PROMETHEUS)
    result = []
    for resource in resources:
        if resource.name == "prometheus-container-reload":
            continue
        if resource.type == CONTAINER and resource.inputs.get("name") == name:
            inputs = copy.deepcopy(resource.raw_inputs)
            inputs["labels"] = [*inputs["labels"], {"label": catalog.LABEL_CONFIG_SHA256, "value": digest_label}]
            result.append(Registered(resource.type, resource.name, resource.urn, resource.custom, inputs, {}))
        else:
            result.append(resource)
    return result


def largest_interval(stack: Any, since: float) -> float:
    window = int(time.time() - since) + 1
    (series,) = stack.query(f'up{{job="prometheus"}}[{window}s]')
    times = [float(t) for t, _ in series["values"] if float(t) >= since]
    return max((b - a for a, b in itertools.pairwise(times)), default=0.0)


def one_change(stack: Any, how: str, threshold: float) -> dict[str, float]:

    base = stack.base_config
    config = {**base, "alertThresholds": {**base["alertThresholds"], "tradeFailureRatio": threshold}}
    recorded = run_program(config, stack="acceptance")
    resources = recorded.resources
    if how == "replaced":
        (reload,) = [r for r in resources if r.name == "prometheus-container-reload"]
        resources = as_before_reloads(resources, str(reload.inputs["triggers"][0]))
    started = time.time()
    time.sleep(3 * SCRAPE_INTERVAL)
    mark = time.monotonic()
    stack.topo.apply(resources)
    stack.recorded = recorded
    applied_seconds = time.monotonic() - mark

    def active() -> bool:
        groups = stack.get("prometheus", "/api/v1/rules", user="admin").json()["data"]["groups"]
        return any(f"> {threshold:g}" in r["query"] for g in groups for r in g["rules"])

    wait_until(active, timeout=120, interval=0.5, what=f"threshold {threshold}")
    active_after = time.monotonic() - mark
    time.sleep(3 * SCRAPE_INTERVAL)
    interval = largest_interval(stack, started)
    if how == "replaced":  # back to the program as it is (one more replacement, not measured)
        stack.topo.apply(recorded.resources)
    return {
        "threshold": threshold,
        "apply_seconds": round(applied_seconds, 2),
        "rule_active_after_seconds": round(active_after, 2),
        "largest_scrape_interval_seconds": round(interval, 2),
        "seconds_without_scrapes": round(max(0.0, interval - SCRAPE_INTERVAL), 2),
    }


def main() -> int:

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    thresholds = iter(THRESHOLDS * 4)
    results: dict[str, list[dict[str, float]]] = {"replaced": [], "reloaded": []}
    with AcceptanceStack.start() as stack:
        time.sleep(4 * SCRAPE_INTERVAL)  # a steady state first
        for _ in range(rounds):
            for how in ("replaced", "reloaded"):  # alternating, so both see the same machine load
                results[how].append(one_change(stack, how, next(thresholds)))
                print(f"[reload-gap] {how}: {results[how][-1]}", flush=True)
    out = REPO_ROOT / "build" / "reload-gap.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print("| how | seconds without scrapes (median, max) | largest scrape interval | apply | rule active after |")
    print("|---|---|---|---|---|")
    for how, runs in results.items():
        gaps = [r["seconds_without_scrapes"] for r in runs]
        print(
            f"| {how} | {statistics.median(gaps):.1f}, {max(gaps):.1f} "
            f"| {statistics.median(r['largest_scrape_interval_seconds'] for r in runs):.1f} s "
            f"| {statistics.median(r['apply_seconds'] for r in runs):.1f} s "
            f"| {statistics.median(r['rule_active_after_seconds'] for r in runs):.1f} s |"
        )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(cli.run(main))
