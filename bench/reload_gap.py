"""Measure the scrape gap of a one-line rule change: replaced (the old behaviour) vs reloaded.

    sudo PROMSHIELD_HARNESS_PREFIX=pi .venv/bin/python -m bench.reload_gap [--rounds 3]

Starts the acceptance stack (harness), then changes one alert threshold (one
line of one rule file) `--rounds` times each way and, for each change, reads Prometheus' own
`up{job="prometheus"}` raw samples around it: the largest interval between two consecutive scrapes,
and "seconds without scrapes" = that interval minus the scrape interval (0 when no scrape was
missed).

- **reloaded**: the program as it is: the carrier is replaced, the reload command runs (a real
  `pulumi up`, `AcceptanceStack.apply`);
- **replaced**: the program before reloads, as a patched program run by the same real `pulumi up`: the
  Prometheus container also carries a label that changes with the files (so the provider replaces it)
  and its reload command does nothing.

Writes `build/reload-gap.json` and prints a table. Not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
from typing import Any

from components.core import catalog
from harness.paths import REPO_ROOT
from harness.stack import AcceptanceStack, wait_until
from tools import cli

SCRAPE_INTERVAL = 5.0
THRESHOLDS = (0.06, 0.07, 0.08, 0.09, 0.10, 0.11, 0.12, 0.13)


# The program before reloads: Prometheus' container labelled with what changes (replaced by the provider),
# its reload command a no-op.
BEFORE_RELOADS_MAIN = """\
import runpy

import pulumi_command
import pulumi_docker as docker

_container, _command = docker.Container.__init__, pulumi_command.local.Command.__init__


def _labelled(self, resource_name, *args, **kwargs):
    if resource_name == "prometheus-container":
        target = args[0] if args and isinstance(args[0], docker.ContainerArgs) else None
        label = docker.ContainerLabelArgs(label="{label}", value="{value}")
        if target is not None:
            target.labels = [*(target.labels or []), label]
        else:
            kwargs["labels"] = [*(kwargs.get("labels") or []), label]
    _container(self, resource_name, *args, **kwargs)


def _no_reload(self, resource_name, *args, **kwargs):
    if resource_name == "prometheus-container-reload":
        target = args[0] if args and isinstance(args[0], pulumi_command.local.CommandArgs) else None
        if target is not None:
            target.create, target.update = "true", "true"
        else:
            kwargs["create"], kwargs["update"] = "true", "true"
    _command(self, resource_name, *args, **kwargs)


docker.Container.__init__ = _labelled
pulumi_command.local.Command.__init__ = _no_reload
runpy.run_path("{main}", run_name="__main__")
"""


def before_reloads(threshold: float) -> str:
    return BEFORE_RELOADS_MAIN.format(
        label=catalog.LABEL_CONFIG_SHA256, value=f"threshold-{threshold}", main=REPO_ROOT / "__main__.py"
    )


def largest_interval(stack: Any, since: float) -> float:
    window = int(time.time() - since) + 1
    (series,) = stack.query(f'up{{job="prometheus"}}[{window}s]')
    times = [float(t) for t, _ in series["values"] if float(t) >= since]
    return max((b - a for a, b in itertools.pairwise(times)), default=0.0)


def one_change(stack: Any, how: str, threshold: float) -> dict[str, float]:

    base = stack.base_config
    changes = {"alertThresholds": {**base["alertThresholds"], "tradeFailureRatio": threshold}}
    program = before_reloads(threshold) if how == "replaced" else None
    started = time.time()
    time.sleep(3 * SCRAPE_INTERVAL)
    mark = time.monotonic()
    stack.apply(changes, program=program)
    applied_seconds = time.monotonic() - mark

    def active() -> bool:
        groups = stack.get("prometheus", "/api/v1/rules", user="admin").json()["data"]["groups"]
        return any(f"> {threshold:g}" in r["query"] for g in groups for r in g["rules"])

    wait_until(active, timeout=120, interval=0.5, what=f"threshold {threshold}")
    active_after = time.monotonic() - mark
    time.sleep(3 * SCRAPE_INTERVAL)
    interval = largest_interval(stack, started)
    if how == "replaced":  # back to the program as it is (one more replacement, not measured)
        stack.apply(changes)
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
