"""Dashboards as code: one source of panels (`panels`), two consumers (`grafana`, `consoles`)."""
