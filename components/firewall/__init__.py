"""components/firewall."""
