"""Alertmanager: `component` (the ComponentResource) and `render` (alertmanager.yml, command line, settings slice)."""
