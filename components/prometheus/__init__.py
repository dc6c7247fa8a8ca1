"""components/prometheus."""
