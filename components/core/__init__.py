"""components/core."""
