"""components/alertmanager."""
