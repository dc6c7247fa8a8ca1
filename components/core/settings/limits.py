"""`limits`: what one client may ask of the proxy, and one source address of the host firewall (declared)."""

from __future__ import annotations

from components.core.settings.declare import Declared, bounded

# The proxy's worker_connections x workers must stay far above one source's share.
MAX_CONNECTIONS_PER_SOURCE = 1024


class Limits(Declared):
    """`promshield:limits`: what one client may ask of the proxy, and one source address of the firewall."""

    requests_per_second: int = bounded(20, "Requests per second per credential (the API's budget).", 1, 100_000)
    burst: int = bounded(40, "Requests one credential may send at once above the rate.", 0, 1_000_000)
    connections_per_client: int = bounded(10, "Connections one client address may hold to the proxy.", 1, 10_000)
    max_body_bytes: int = bounded(1024 * 1024, "Request body size the proxy accepts.", 1024, 1024**3)
    backend_max_connections: int = bounded(
        256, "Connections the proxy may open to each backend (> proxy workers x keepalive).", 4, 10_000
    )
    connections_per_source: int = bounded(
        128,
        "New connections per source address to each published port, in the host firewall: the bound NGINX cannot "
        "set itself before a request's headers are read (slowloris). At least connectionsPerClient.",
        8,
        MAX_CONNECTIONS_PER_SOURCE,
    )
    assets_per_second: int = bounded(
        50,
        "The web UIs' static files per second per credential: a budget of their own, so a cold page load neither "
        "gets 429 nor spends the API's.",
        1,
        100_000,
    )
    asset_burst: int = bounded(200, "Static files one credential may fetch at once above that rate.", 0, 1_000_000)


DEFAULT_LIMITS = Limits()
