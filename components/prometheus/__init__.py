"""Prometheus: `component`, `render` (prometheus.yml, web config, command line, settings slice), `targets`
(the trading scrape jobs) and `rules` (recording and alerting rules, one module per rule file)."""
