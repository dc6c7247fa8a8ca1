"""components/redis."""
