"""What every service package shares: `settings`, `catalog` (fixed facts: names, ports, paths, images, labels,
type tokens), `hardening` (the hardened container), `pki`, `network`, `images`, `durations`, `templates`."""
