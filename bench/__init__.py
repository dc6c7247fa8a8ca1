"""The benchmark (`make bench`): the secured path against direct Prometheus and its peers, on the harness's
private engine. `python -m bench` runs it; each module is one part (stack, load, peers, dashboard, host)."""
