"""The host firewall: `component` (the command that applies the DOCKER-USER rules) and `render` (the scripts)."""
