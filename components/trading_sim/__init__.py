"""The dev demo's trading simulator: `component` (its hardened container and the passwords Prometheus scrapes
it with) and `render` (its files and commands); the simulator itself is exporters/trading_sim/trading_sim.py."""
